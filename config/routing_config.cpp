// Parses `providers:` and `routes:` and checks that every name they use exists.
#include "config/yaml_support.h"

#include <cstdlib>
#include "config/rule_regex.h"

#include <nlohmann/json.hpp>
#include <set>

namespace switchyard {
namespace {

std::chrono::milliseconds duration_ms(const YamlCtx& c, const YAML::Node& n, const std::string& path) {
    auto text = c.get<std::string>(n, path, "a duration");
    if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
        try { return std::chrono::milliseconds(std::stoll(text)); } catch (...) {}
    }
    try { return std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(text)); }
    catch (const std::exception& e) { c.fail(n, path, e.what()); }
}

std::string http_url(const YamlCtx& c, const YAML::Node& n, const std::string& path) {
    auto url = c.get<std::string>(n, path, "a URL");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        c.fail(n, path, "must start with http:// or https://, got '" + url + "'");
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

// endpoints: ["http://a:8000/v1", {url: "http://b:8000/v1", weight: 2}, ...]
void parse_endpoints(const YamlCtx& c, const YAML::Node& n, const std::string& path, RemoteProviderSpec& p) {
    if (!n.IsSequence() || n.size() == 0) c.fail(n, path, "expected a non-empty list of URLs or {url, weight}");
    for (std::size_t i = 0; i < n.size(); ++i) {
        std::string ep = path + "[" + std::to_string(i) + "]";
        EndpointSpec e;
        if (n[i].IsMap()) {
            c.only_keys(n[i], ep, {"url", "weight"});
            if (!n[i]["url"]) c.fail(n[i], ep, "missing required key 'url'");
            e.base_url = http_url(c, n[i]["url"], ep + ".url");
            if (n[i]["weight"]) e.weight = c.get_float(n[i]["weight"], ep + ".weight", 0.001f, 1000.0f);
        } else {
            e.base_url = http_url(c, n[i], ep);
        }
        for (const auto& other : p.endpoints)
            if (other.base_url == e.base_url) c.fail(n[i], ep, "endpoint " + e.base_url + " is listed twice");
        p.endpoints.push_back(e);
    }
    p.base_url = p.endpoints.front().base_url;
}

RemoteProviderSpec parse_provider(const YamlCtx& c, const YAML::Node& n, const std::string& path) {
    c.only_keys(n, path, {"name", "api", "base_url", "endpoints", "prefix_affinity", "api_key_env", "models", "price", "timeout",
                          "max_concurrency", "retries", "circuit_breaker"});
    RemoteProviderSpec p;
    if (!n["name"]) c.fail(n, path, "missing required key 'name'");
    p.name = c.get<std::string>(n["name"], path + ".name", "a string");
    if (p.name == "local") c.fail(n["name"], path + ".name", "'local' is reserved for the local model pool");
    if (n["api"]) {
        const std::string api = c.get<std::string>(n["api"], path + ".api", "openai or anthropic");
        if (api == "anthropic") p.api = RemoteProviderSpec::Api::anthropic;
        else if (api != "openai") c.fail(n["api"], path + ".api", "expected 'openai' (chat completions) or 'anthropic' (Messages API), got '" + api + "'");
    }
    if (n["endpoints"]) {
        if (n["base_url"]) c.fail(n, path, "set base_url or endpoints, not both");
        parse_endpoints(c, n["endpoints"], path + ".endpoints", p);
    } else {
        if (!n["base_url"]) c.fail(n, path, "missing required key 'base_url' (e.g. https://api.openai.com/v1)");
        p.base_url = http_url(c, n["base_url"], path + ".base_url");
    }
    if (n["prefix_affinity"]) {
        p.prefix_affinity = c.get<bool>(n["prefix_affinity"], path + ".prefix_affinity", "true or false");
        if (p.prefix_affinity && p.endpoints.empty()) c.fail(n["prefix_affinity"], path + ".prefix_affinity", "needs endpoints (a fleet)");
    }
    if (n["api_key_env"]) p.api_key_env = c.get<std::string>(n["api_key_env"], path + ".api_key_env", "an environment variable name");
    if (n["models"]) {
        if (!n["models"].IsMap()) c.fail(n["models"], path + ".models", "expected a mapping of our name -> upstream model name");
        for (const auto& kv : n["models"]) p.models[c.key(kv.first, path + ".models")] = c.get<std::string>(kv.second, path + ".models", "a model name");
    }
    if (n["price"]) {
        c.only_keys(n["price"], path + ".price", {"input", "output"});
        if (n["price"]["input"]) p.price_input = c.get<double>(n["price"]["input"], path + ".price.input", "a price in USD per 1M tokens");
        if (n["price"]["output"]) p.price_output = c.get<double>(n["price"]["output"], path + ".price.output", "a price in USD per 1M tokens");
    }
    if (n["timeout"]) p.timeout = duration_ms(c, n["timeout"], path + ".timeout");
    if (n["max_concurrency"]) p.max_concurrency = c.get_int(n["max_concurrency"], path + ".max_concurrency", 1, 100000);
    if (n["retries"]) p.max_retries = c.get_int(n["retries"], path + ".retries", 0, 10);
    if (n["circuit_breaker"]) {
        const auto& b = n["circuit_breaker"];
        c.only_keys(b, path + ".circuit_breaker", {"failures", "cooldown"});
        if (b["failures"]) p.breaker_failures = c.get_int(b["failures"], path + ".circuit_breaker.failures", 1, 1000);
        if (b["cooldown"]) p.breaker_cooldown = duration_ms(c, b["cooldown"], path + ".circuit_breaker.cooldown");
    }
    return p;
}

RuleSpec parse_rule(const YamlCtx& c, const YAML::Node& n, const std::string& path) {
    c.only_keys(n, path, {"name", "regex", "keywords", "min_chars", "max_chars", "tools", "images", "task", "tier"});
    RuleSpec r;
    if (n["name"]) r.name = c.get<std::string>(n["name"], path + ".name", "a string");
    if (n["regex"]) {
        r.regex = c.get<std::string>(n["regex"], path + ".regex", "a regular expression");
        RE2 re(r.regex, rule_regex_options());
        if (!re.ok()) c.fail(n["regex"], path + ".regex", "invalid regular expression: " + re.error() + " (RE2 syntax)");
    }
    if (n["keywords"]) {
        if (!n["keywords"].IsSequence()) c.fail(n["keywords"], path + ".keywords", "expected a list of words");
        for (std::size_t i = 0; i < n["keywords"].size(); ++i) r.keywords.push_back(c.get<std::string>(n["keywords"][i], path + ".keywords", "a string"));
    }
    if (n["min_chars"]) r.min_chars = c.get_int(n["min_chars"], path + ".min_chars", 0, 1 << 30);
    if (n["max_chars"]) r.max_chars = c.get_int(n["max_chars"], path + ".max_chars", 0, 1 << 30);
    if (n["tools"]) r.tools = c.get<bool>(n["tools"], path + ".tools", "true or false");
    if (n["images"]) r.images = c.get<bool>(n["images"], path + ".images", "true or false");
    if (n["task"]) r.task = c.get<std::string>(n["task"], path + ".task", "a task name");
    if (!n["tier"]) c.fail(n, path, "missing required key 'tier' (where matching requests go)");
    r.tier = c.get<std::string>(n["tier"], path + ".tier", "a tier name");
    if (r.name.empty()) r.name = path;
    return r;
}

ClassifierSpec parse_classifier(const YamlCtx& c, const YAML::Node& n, const std::string& path, const std::filesystem::path& base_dir) {
    c.only_keys(n, path, {"index", "min_confidence", "k", "classes"});
    ClassifierSpec s;
    if (!n["index"]) c.fail(n, path, "missing required key 'index' (a file written by `switchyard router train`)");
    std::filesystem::path index = c.get<std::string>(n["index"], path + ".index", "a path");
    // Relative to the config file, like chat templates: the index ships with the config.
    s.index = index.is_absolute() ? index : base_dir / index;
    if (n["min_confidence"]) s.min_confidence = c.get_float(n["min_confidence"], path + ".min_confidence", 0, 1);
    if (n["k"]) s.k = c.get_int(n["k"], path + ".k", 1, 100);
    if (!n["classes"] || !n["classes"].IsMap() || n["classes"].size() == 0)
        c.fail(n["classes"] ? n["classes"] : n, path + ".classes", "expected a mapping of task class -> tier name, e.g. {grammar_fix: small}");
    for (const auto& kv : n["classes"]) {
        auto cls = c.key(kv.first, path + ".classes");
        s.classes[cls] = c.get<std::string>(kv.second, path + ".classes." + cls, "a tier name");
    }
    return s;
}

LearnedRouterSpec parse_learned_router(const YamlCtx& c, const YAML::Node& n, const std::string& path, const std::filesystem::path& base_dir) {
    c.only_keys(n, path, {"file", "small", "large", "threshold"});
    LearnedRouterSpec s;
    if (!n["file"]) c.fail(n, path, "missing required key 'file' (a file written by `switchyard router fit`)");
    std::filesystem::path file = c.get<std::string>(n["file"], path + ".file", "a path");
    s.file = file.is_absolute() ? file : base_dir / file;   // relative to the config, like classifier indexes
    if (n["small"]) s.small = c.get<std::string>(n["small"], path + ".small", "a tier name");
    if (n["large"]) s.large = c.get<std::string>(n["large"], path + ".large", "a tier name");
    if (n["threshold"]) s.threshold = c.get_float(n["threshold"], path + ".threshold", 0, 1);
    return s;
}

// constrain: [{name, task, regex, tiers, choices | pattern | schema}]; schema is JSON Schema text.
ConstraintSpec parse_constraint(const YamlCtx& c, const YAML::Node& n, const std::string& path) {
    c.only_keys(n, path, {"name", "task", "regex", "tiers", "choices", "pattern", "schema"});
    ConstraintSpec s;
    s.name = n["name"] ? c.get<std::string>(n["name"], path + ".name", "a string") : path;
    if (n["task"]) s.task = c.get<std::string>(n["task"], path + ".task", "a task class");
    if (n["regex"]) {
        s.regex = c.get<std::string>(n["regex"], path + ".regex", "a regular expression");
        RE2 re(s.regex, rule_regex_options());
        if (!re.ok()) c.fail(n["regex"], path + ".regex", "invalid regular expression: " + re.error() + " (RE2 syntax)");
    }
    if (s.task.empty() && s.regex.empty()) c.fail(n, path, "give 'task' and/or 'regex': a constraint applies to some requests, not all");
    if (n["tiers"]) {
        if (!n["tiers"].IsSequence() || n["tiers"].size() == 0) c.fail(n["tiers"], path + ".tiers", "expected a non-empty list of tier names");
        for (std::size_t i = 0; i < n["tiers"].size(); ++i) s.tiers.push_back(c.get<std::string>(n["tiers"][i], path + ".tiers", "a tier name"));
    }
    const int given = (n["choices"] ? 1 : 0) + (n["pattern"] ? 1 : 0) + (n["schema"] ? 1 : 0);
    if (given != 1) c.fail(n, path, "give exactly one of 'choices' (a list of answers), 'pattern' (a regex the answer matches) or 'schema' (JSON Schema text)");
    nlohmann::json schema;
    if (n["choices"]) {
        if (!n["choices"].IsSequence() || n["choices"].size() == 0) c.fail(n["choices"], path + ".choices", "expected a non-empty list of strings");
        schema = {{"type", "string"}, {"enum", nlohmann::json::array()}};
        for (std::size_t i = 0; i < n["choices"].size(); ++i) schema["enum"].push_back(c.get<std::string>(n["choices"][i], path + ".choices", "a string"));
    } else if (n["pattern"]) {
        schema = {{"type", "string"}, {"pattern", c.get<std::string>(n["pattern"], path + ".pattern", "a regular expression")}};
    } else {
        auto text = c.get<std::string>(n["schema"], path + ".schema", "JSON Schema text, e.g. '{\"type\": \"integer\"}'");
        schema = nlohmann::json::parse(text, nullptr, false);
        if (schema.is_discarded() || !schema.is_object()) c.fail(n["schema"], path + ".schema", "not a JSON object (JSON Schema text, e.g. '{\"type\": \"integer\"}')");
    }
    s.schema = schema.dump();
    return s;
}

RouteSpec parse_route(const YamlCtx& c, const YAML::Node& n, const std::string& path, const std::filesystem::path& base_dir) {
    c.only_keys(n, path, {"name", "aliases", "tiers", "rules", "cascade", "local_only", "redact_pii", "classifier", "router", "feedback", "constrain"});
    RouteSpec r;
    if (!n["name"]) c.fail(n, path, "missing required key 'name' (the model name clients send, e.g. auto)");
    r.name = c.get<std::string>(n["name"], path + ".name", "a string");
    if (n["aliases"]) {
        if (!n["aliases"].IsSequence()) c.fail(n["aliases"], path + ".aliases", "expected a list of names");
        for (std::size_t i = 0; i < n["aliases"].size(); ++i) r.aliases.push_back(c.get<std::string>(n["aliases"][i], path + ".aliases", "a string"));
    }
    if (!n["tiers"] || !n["tiers"].IsSequence() || n["tiers"].size() == 0)
        c.fail(n["tiers"] ? n["tiers"] : n, path + ".tiers", "expected a non-empty list of tiers, cheapest first");
    for (std::size_t i = 0; i < n["tiers"].size(); ++i) {
        const auto& t = n["tiers"][i];
        std::string tp = path + ".tiers[" + std::to_string(i) + "]";
        c.only_keys(t, tp, {"name", "provider", "model"});
        TierSpec tier;
        if (!t["model"]) c.fail(t, tp, "missing required key 'model'");
        tier.model = c.get<std::string>(t["model"], tp + ".model", "a model name");
        if (t["provider"]) tier.provider = c.get<std::string>(t["provider"], tp + ".provider", "a provider name");
        tier.name = t["name"] ? c.get<std::string>(t["name"], tp + ".name", "a string") : tier.model;
        r.tiers.push_back(tier);
    }
    if (n["rules"]) {
        if (!n["rules"].IsSequence()) c.fail(n["rules"], path + ".rules", "expected a list of rules");
        for (std::size_t i = 0; i < n["rules"].size(); ++i) r.rules.push_back(parse_rule(c, n["rules"][i], path + ".rules[" + std::to_string(i) + "]"));
    }
    if (n["cascade"]) {
        const auto& k = n["cascade"];
        std::string kp = path + ".cascade";
        c.only_keys(k, kp, {"min_mean_logprob", "min_token_logprob", "check_json", "check_empty", "check_refusal", "max_escalations", "verifier"});
        r.cascade.enabled = true;
        if (k["min_mean_logprob"]) r.cascade.min_mean_logprob = c.get_float(k["min_mean_logprob"], kp + ".min_mean_logprob", -100, 0);
        if (k["min_token_logprob"]) r.cascade.min_token_logprob = c.get_float(k["min_token_logprob"], kp + ".min_token_logprob", -100, 0);
        if (k["check_json"]) r.cascade.check_json = c.get<bool>(k["check_json"], kp + ".check_json", "true or false");
        if (k["check_empty"]) r.cascade.check_empty = c.get<bool>(k["check_empty"], kp + ".check_empty", "true or false");
        if (k["check_refusal"]) r.cascade.check_refusal = c.get<bool>(k["check_refusal"], kp + ".check_refusal", "true or false");
        if (k["max_escalations"]) r.cascade.max_escalations = c.get_int(k["max_escalations"], kp + ".max_escalations", 0, 10);
        if (k["verifier"]) {
            const auto& v = k["verifier"];
            std::string vp = kp + ".verifier";
            c.only_keys(v, vp, {"provider", "model", "question"});
            VerifierSpec spec;
            if (!v["model"]) c.fail(v, vp, "missing required key 'model' (the model that judges the cheap answer)");
            spec.model = c.get<std::string>(v["model"], vp + ".model", "a model name");
            if (v["provider"]) spec.provider = c.get<std::string>(v["provider"], vp + ".provider", "a provider name");
            if (v["question"]) spec.question = c.get<std::string>(v["question"], vp + ".question", "a string");
            r.cascade.verifier = spec;
        }
    }
    if (n["local_only"]) r.local_only = c.get<bool>(n["local_only"], path + ".local_only", "true or false");
    if (n["redact_pii"]) r.redact_pii = c.get<bool>(n["redact_pii"], path + ".redact_pii", "true or false");
    if (n["classifier"]) r.classifier = parse_classifier(c, n["classifier"], path + ".classifier", base_dir);
    if (n["router"]) r.learned = parse_learned_router(c, n["router"], path + ".router", base_dir);
    if (n["feedback"]) {
        const auto& f = n["feedback"];
        std::string fp = path + ".feedback";
        c.only_keys(f, fp, {"window", "min_ratings", "max_down_rate"});
        r.feedback.enabled = true;
        if (f["window"]) r.feedback.window = c.get_int(f["window"], fp + ".window", 1, 100000);
        if (f["min_ratings"]) r.feedback.min_ratings = c.get_int(f["min_ratings"], fp + ".min_ratings", 1, 100000);
        if (f["max_down_rate"]) r.feedback.max_down_rate = c.get_float(f["max_down_rate"], fp + ".max_down_rate", 0, 1);
        if (r.feedback.min_ratings > r.feedback.window)
            c.fail(f, fp, "min_ratings (" + std::to_string(r.feedback.min_ratings) + ") cannot exceed window (" + std::to_string(r.feedback.window) + ")");
    }
    if (n["constrain"]) {
        if (!n["constrain"].IsSequence()) c.fail(n["constrain"], path + ".constrain", "expected a list of constraints");
        for (std::size_t i = 0; i < n["constrain"].size(); ++i)
            r.constrain.push_back(parse_constraint(c, n["constrain"][i], path + ".constrain[" + std::to_string(i) + "]"));
    }
    return r;
}

}  // namespace

void parse_routing(const YamlCtx& c, const YAML::Node& root, Config& cfg, const std::filesystem::path& base_dir) {
    std::set<std::string> provider_names{"local"};
    if (root["providers"]) {
        if (!root["providers"].IsSequence()) c.fail(root["providers"], "providers", "expected a list of providers");
        for (std::size_t i = 0; i < root["providers"].size(); ++i) {
            auto p = parse_provider(c, root["providers"][i], "providers[" + std::to_string(i) + "]");
            if (!provider_names.insert(p.name).second) c.fail(root["providers"][i], "providers[" + std::to_string(i) + "]", "provider '" + p.name + "' is defined twice");
            cfg.providers.push_back(std::move(p));
        }
    }
    if (!root["routes"]) return;
    if (!root["routes"].IsSequence()) c.fail(root["routes"], "routes", "expected a list of routes");
    std::set<std::string> route_names;
    for (std::size_t i = 0; i < root["routes"].size(); ++i) {
        const auto& node = root["routes"][i];
        std::string path = "routes[" + std::to_string(i) + "]";
        auto r = parse_route(c, node, path, base_dir);
        if (cfg.find_model(r.name)) c.fail(node, path, "route name '" + r.name + "' is already a model name or alias");
        if (!route_names.insert(r.name).second) c.fail(node, path, "route '" + r.name + "' is defined twice");
        for (const auto& a : r.aliases) {
            if (cfg.find_model(a)) c.fail(node["aliases"], path + ".aliases", "route alias '" + a + "' is already a model name or alias");
            if (!route_names.insert(a).second) c.fail(node["aliases"], path + ".aliases", "route alias '" + a + "' is already a route name or alias");
        }
        std::set<std::string> tiers;
        for (std::size_t t = 0; t < r.tiers.size(); ++t) {
            const auto& tier = r.tiers[t];
            std::string tp = path + ".tiers[" + std::to_string(t) + "]";
            if (!provider_names.count(tier.provider)) c.fail(node["tiers"][t], tp + ".provider", "unknown provider '" + tier.provider + "'");
            if (tier.provider == "local" && !cfg.find_model(tier.model))
                c.fail(node["tiers"][t], tp + ".model", "unknown local model '" + tier.model + "'");
            if (tier.provider == "local" && cfg.find_model(tier.model)->kind != ModelKind::chat)
                c.fail(node["tiers"][t], tp + ".model", "'" + tier.model + "' is an embedding model, not a chat model");
            if (!tiers.insert(tier.name).second) c.fail(node["tiers"][t], tp + ".name", "tier name '" + tier.name + "' is used twice");
        }
        bool any_local = false;
        for (const auto& tier : r.tiers) any_local |= tier.provider == "local";
        if (r.local_only && !any_local) c.fail(node, path, "route '" + r.name + "' is local_only but has no local tier");
        for (std::size_t k = 0; k < r.rules.size(); ++k)
            if (!tiers.count(r.rules[k].tier)) c.fail(node["rules"][k], path + ".rules[" + std::to_string(k) + "].tier", "unknown tier '" + r.rules[k].tier + "'");
        if (const auto& v = r.cascade.verifier) {
            const auto& vn = node["cascade"]["verifier"];
            if (!provider_names.count(v->provider)) c.fail(vn, path + ".cascade.verifier.provider", "unknown provider '" + v->provider + "'");
            if (v->provider == "local" && !cfg.find_model(v->model))
                c.fail(vn, path + ".cascade.verifier.model", "unknown local model '" + v->model + "'");
            if (v->provider == "local" && cfg.find_model(v->model)->kind != ModelKind::chat)
                c.fail(vn, path + ".cascade.verifier.model", "'" + v->model + "' is an embedding model, not a chat model");
        }
        if (r.learned) {
            const auto& ln = node["router"];
            if (!r.learned->small.empty() && !tiers.count(r.learned->small)) c.fail(ln["small"], path + ".router.small", "unknown tier '" + r.learned->small + "'");
            if (!r.learned->large.empty() && !tiers.count(r.learned->large)) c.fail(ln["large"], path + ".router.large", "unknown tier '" + r.learned->large + "'");
            if (r.tiers.size() < 2) c.fail(ln, path + ".router", "a learned router needs at least two tiers to choose between");
        }
        for (std::size_t k = 0; k < r.constrain.size(); ++k)
            for (const auto& t : r.constrain[k].tiers)
                if (!tiers.count(t)) c.fail(node["constrain"][k]["tiers"], path + ".constrain[" + std::to_string(k) + "].tiers", "unknown tier '" + t + "'");
        if (r.classifier)
            for (const auto& [cls, tier] : r.classifier->classes)
                if (!tiers.count(tier)) c.fail(node["classifier"]["classes"][cls], path + ".classifier.classes." + cls, "unknown tier '" + tier + "'");
        cfg.routes.push_back(std::move(r));
    }
}

const RouteSpec* Config::find_route(const std::string& name) const {
    for (const auto& r : routes) if (r.name == name) return &r;
    for (const auto& r : routes)
        for (const auto& a : r.aliases) if (a == name) return &r;
    return nullptr;
}

const RemoteProviderSpec* Config::find_provider(const std::string& name) const {
    for (const auto& p : providers) if (p.name == name) return &p;
    return nullptr;
}

}  // namespace switchyard
