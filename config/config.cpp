#include "config/config.h"
#include "config/specialists.h"
#include "config/yaml_support.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace switchyard {

void parse_routing(const YamlCtx& c, const YAML::Node& root, Config& cfg, const std::filesystem::path& base_dir);
void parse_sessions_and_cache(const YamlCtx& c, const YAML::Node& root, Config& cfg);
void parse_store(const YamlCtx& c, const YAML::Node& n, StoreSpec& store);  // config/store_config.cpp

namespace {

void parse_sampling(const YamlCtx& c, const YAML::Node& n, const std::string& path, SamplingDefaults& s) {
    c.only_keys(n, path, {"temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty",
                          "repeat_penalty", "max_tokens"});
    if (n["temperature"]) s.temperature = c.get_float(n["temperature"], path + ".temperature", 0, 5);
    if (n["top_p"]) s.top_p = c.get_float(n["top_p"], path + ".top_p", 0, 1);
    if (n["top_k"]) s.top_k = c.get_int(n["top_k"], path + ".top_k", 0, 1 << 20);
    if (n["min_p"]) s.min_p = c.get_float(n["min_p"], path + ".min_p", 0, 1);
    if (n["presence_penalty"]) s.presence_penalty = c.get_float(n["presence_penalty"], path + ".presence_penalty", -2, 2);
    if (n["frequency_penalty"]) s.frequency_penalty = c.get_float(n["frequency_penalty"], path + ".frequency_penalty", -2, 2);
    if (n["repeat_penalty"]) s.repeat_penalty = c.get_float(n["repeat_penalty"], path + ".repeat_penalty", 0, 10);
    if (n["max_tokens"]) s.max_tokens = c.get_int(n["max_tokens"], path + ".max_tokens", 1, 1 << 20);
}

ModelSpec parse_model(const YamlCtx& c, const YAML::Node& n, const std::string& path, const std::filesystem::path& models_dir,
                      const std::filesystem::path& config_dir) {
    c.only_keys(n, path, {"name", "file", "kind", "aliases", "context_size", "parallel", "batch_size", "threads",
                          "gpu_layers", "queue_limit", "keep_alive", "sampling", "chat_template", "speculative"});
    ModelSpec m;
    if (!n["name"]) c.fail(n, path, "missing required key 'name'");
    m.name = c.get<std::string>(n["name"], path + ".name", "a string");
    if (m.name.empty()) c.fail(n["name"], path + ".name", "must not be empty");
    if (!n["file"]) c.fail(n, path, "missing required key 'file' (path to a .gguf, relative to models_dir)");
    std::filesystem::path file = c.get<std::string>(n["file"], path + ".file", "a path");
    m.file = file.is_absolute() ? file : models_dir / file;
    m.file_as_written = file.string();
    if (n["chat_template"]) {
        std::filesystem::path t = c.get<std::string>(n["chat_template"], path + ".chat_template", "a path");
        // Relative to the config file, not models_dir: templates ship with the config.
        m.chat_template = t.is_absolute() ? t : config_dir / t;
    }
    if (n["kind"]) {
        auto k = c.get<std::string>(n["kind"], path + ".kind", "a string");
        if (k == "chat") m.kind = ModelKind::chat;
        else if (k == "embedding") m.kind = ModelKind::embedding;
        else c.fail(n["kind"], path + ".kind", "must be 'chat' or 'embedding', got '" + k + "'");
    }
    if (n["aliases"]) {
        if (!n["aliases"].IsSequence()) c.fail(n["aliases"], path + ".aliases", "expected a list of names");
        for (std::size_t i = 0; i < n["aliases"].size(); ++i)
            m.aliases.push_back(c.get<std::string>(n["aliases"][i], path + ".aliases[" + std::to_string(i) + "]", "a string"));
    }
    if (n["context_size"]) m.context_size = c.get_int(n["context_size"], path + ".context_size", 64, 1 << 20);
    if (n["parallel"]) m.parallel = c.get_int(n["parallel"], path + ".parallel", 1, 256);
    if (n["batch_size"]) m.batch_size = c.get_int(n["batch_size"], path + ".batch_size", 16, 1 << 16);
    if (n["threads"]) m.threads = c.get_int(n["threads"], path + ".threads", 0, 1024);
    if (n["gpu_layers"]) m.gpu_layers = c.get_int(n["gpu_layers"], path + ".gpu_layers", 0, 100000);
    if (n["queue_limit"]) m.queue_limit = c.get_int(n["queue_limit"], path + ".queue_limit", 0, 1 << 20);
    if (n["keep_alive"]) {
        auto text = c.get<std::string>(n["keep_alive"], path + ".keep_alive", "a duration");
        try { m.keep_alive = parse_duration(text); } catch (const std::exception& e) { c.fail(n["keep_alive"], path + ".keep_alive", e.what()); }
    }
    if (n["sampling"]) parse_sampling(c, n["sampling"], path + ".sampling", m.sampling);
    if (const auto sp = n["speculative"]) {
        const std::string sp_path = path + ".speculative";
        if (!sp.IsMap()) c.fail(sp, sp_path, "expected a map, e.g. {ngram: 3, max_draft: 8}");
        c.only_keys(sp, sp_path, {"ngram", "max_draft"});
        if (sp["ngram"]) m.speculative.ngram = c.get_int(sp["ngram"], sp_path + ".ngram", 0, 16);
        if (sp["max_draft"]) m.speculative.max_draft = c.get_int(sp["max_draft"], sp_path + ".max_draft", 1, 64);
        if (m.kind != ModelKind::chat && m.speculative.ngram > 0) c.fail(sp, sp_path, "only chat models generate; remove it from an embedding model");
    }
    return m;
}

void parse_server(const YamlCtx& c, const YAML::Node& n, ServerSpec& s) {
    c.only_keys(n, "server", {"host", "port", "io_threads", "max_body_bytes", "idle_timeout", "shutdown_grace", "api_key_env", "api_keys",
                              "admin_key_env", "rate_limit", "cors_origins", "allowed_hosts", "header_timeout", "body_timeout",
                              "expose_paths"});
    if (n["host"]) s.host = c.get<std::string>(n["host"], "server.host", "a host name or address");
    if (n["port"]) s.port = c.get_int(n["port"], "server.port", 0, 65535);
    if (n["io_threads"]) s.io_threads = c.get_int(n["io_threads"], "server.io_threads", 1, 256);
    if (n["max_body_bytes"]) {
        auto text = c.get<std::string>(n["max_body_bytes"], "server.max_body_bytes", "a size");
        try { s.max_body_bytes = parse_bytes(text); } catch (const std::exception& e) { c.fail(n["max_body_bytes"], "server.max_body_bytes", e.what()); }
    }
    for (auto [key, field] : {std::pair{"idle_timeout", &s.idle_timeout}, std::pair{"shutdown_grace", &s.shutdown_grace},
                              std::pair{"header_timeout", &s.header_timeout}, std::pair{"body_timeout", &s.body_timeout}}) {
        if (!n[key]) continue;
        auto text = c.get<std::string>(n[key], std::string("server.") + key, "a duration");
        try { *field = parse_duration(text); } catch (const std::exception& e) { c.fail(n[key], std::string("server.") + key, e.what()); }
    }
    if (n["api_key_env"]) {
        auto var = c.get<std::string>(n["api_key_env"], "server.api_key_env", "an environment variable name");
        const char* v = std::getenv(var.c_str());
        if (!v || !*v) c.fail(n["api_key_env"], "server.api_key_env", "environment variable " + var + " is not set");
        s.api_key = v;
    }
    if (n["api_keys"]) {
        if (!n["api_keys"].IsSequence()) c.fail(n["api_keys"], "server.api_keys", "expected a list of keys");
        for (std::size_t i = 0; i < n["api_keys"].size(); ++i) {
            const auto& k = n["api_keys"][i];
            std::string kp = "server.api_keys[" + std::to_string(i) + "]";
            c.only_keys(k, kp, {"name", "key_env", "local_only", "spend_limit", "spend_period", "role", "requests_per_minute",
                                "tokens_per_minute"});
            ApiKeySpec key;
            if (!k["name"] || !k["key_env"]) c.fail(k, kp, "'name' and 'key_env' are required");
            key.name = c.get<std::string>(k["name"], kp + ".name", "a string");
            auto var = c.get<std::string>(k["key_env"], kp + ".key_env", "an environment variable name");
            const char* v = std::getenv(var.c_str());
            if (!v || !*v) c.fail(k["key_env"], kp + ".key_env", "environment variable " + var + " is not set");
            key.key = v;
            if (k["local_only"]) key.local_only = c.get<bool>(k["local_only"], kp + ".local_only", "true or false");
            if (k["spend_limit"]) {
                key.spend_limit = c.get<double>(k["spend_limit"], kp + ".spend_limit", "a number of US dollars");
                if (key.spend_limit < 0) c.fail(k["spend_limit"], kp + ".spend_limit", "must be >= 0");
            }
            if (k["spend_period"]) {
                auto p = c.get<std::string>(k["spend_period"], kp + ".spend_period", "day, month or total");
                if (p == "day") key.period = ApiKeySpec::Period::day;
                else if (p == "month") key.period = ApiKeySpec::Period::month;
                else if (p == "total") key.period = ApiKeySpec::Period::total;
                else c.fail(k["spend_period"], kp + ".spend_period", "expected day, month or total, got '" + p + "'");
            }
            if (k["role"]) {
                auto role = c.get<std::string>(k["role"], kp + ".role", "client or admin");
                if (role != "client" && role != "admin") c.fail(k["role"], kp + ".role", "expected client or admin, got '" + role + "'");
                key.admin = role == "admin";
            }
            if (k["requests_per_minute"]) key.requests_per_minute = c.get_int(k["requests_per_minute"], kp + ".requests_per_minute", 0, 1 << 30);
            if (k["tokens_per_minute"]) key.tokens_per_minute = c.get_int(k["tokens_per_minute"], kp + ".tokens_per_minute", 0, 1 << 30);
            for (const auto& other : s.api_keys)
                if (other.name == key.name) c.fail(k["name"], kp + ".name", "key name '" + key.name + "' is used twice");
            s.api_keys.push_back(std::move(key));
        }
    }
    if (n["admin_key_env"]) {
        auto var = c.get<std::string>(n["admin_key_env"], "server.admin_key_env", "an environment variable name");
        const char* v = std::getenv(var.c_str());
        if (!v || !*v) c.fail(n["admin_key_env"], "server.admin_key_env", "environment variable " + var + " is not set");
        s.admin_key = v;
    }
    if (n["rate_limit"]) {
        const auto& r = n["rate_limit"];
        c.only_keys(r, "server.rate_limit", {"requests_per_minute", "tokens_per_minute"});
        if (r["requests_per_minute"]) s.rate_limit.requests_per_minute = c.get_int(r["requests_per_minute"], "server.rate_limit.requests_per_minute", 0, 1 << 30);
        if (r["tokens_per_minute"]) s.rate_limit.tokens_per_minute = c.get_int(r["tokens_per_minute"], "server.rate_limit.tokens_per_minute", 0, 1 << 30);
    }
    for (auto [key, list] : {std::pair{"cors_origins", &s.cors_origins}, std::pair{"allowed_hosts", &s.allowed_hosts}}) {
        if (!n[key]) continue;
        const std::string kp = std::string("server.") + key;
        if (!n[key].IsSequence()) c.fail(n[key], kp, "expected a list of strings");
        for (std::size_t i = 0; i < n[key].size(); ++i)
            list->push_back(c.get<std::string>(n[key][i], kp + "[" + std::to_string(i) + "]", "a string"));
    }
    for (const auto& o : s.cors_origins)
        if (o != "*" && o.find("://") == std::string::npos)
            c.fail(n["cors_origins"], "server.cors_origins", "'" + o + "' is not an origin (write scheme://host[:port], or \"*\")");
    if (n["expose_paths"]) s.expose_paths = c.get<bool>(n["expose_paths"], "server.expose_paths", "true or false");
}

}  // namespace

const ModelSpec* Config::find_model(const std::string& key) const {
    for (const auto& m : models) {
        if (m.name == key) return &m;
        if (std::find(m.aliases.begin(), m.aliases.end(), key) != m.aliases.end()) return &m;
    }
    return nullptr;
}

std::chrono::seconds parse_duration(const std::string& text) {
    if (text == "-1" || text == "forever") return std::chrono::seconds::max();
    std::size_t pos = 0;
    long long v = 0;
    try { v = std::stoll(text, &pos); } catch (...) { throw std::invalid_argument("not a duration: '" + text + "' (use e.g. 30s, 5m, 1h, -1)"); }
    std::string unit = text.substr(pos);
    long long mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (mult == 0 || v < 0) throw std::invalid_argument("not a duration: '" + text + "' (use e.g. 30s, 5m, 1h, -1)");
    // v * mult must not overflow (undefined behaviour; found by fuzz_config).
    if (v > std::numeric_limits<long long>::max() / mult) throw std::invalid_argument("duration too long: '" + text + "' (use -1 for forever)");
    return std::chrono::seconds(v * mult);
}

std::uint64_t parse_bytes(const std::string& text) {
    std::size_t pos = 0;
    double v = 0;
    try { v = std::stod(text, &pos); } catch (...) { throw std::invalid_argument("not a size: '" + text + "' (use e.g. 512MiB, 4GiB)"); }
    std::string unit = text.substr(pos);
    unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
    double mult = 0;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "K" || unit == "KiB" || unit == "KB") mult = 1024.0;
    else if (unit == "M" || unit == "MiB" || unit == "MB") mult = 1024.0 * 1024;
    else if (unit == "G" || unit == "GiB" || unit == "GB") mult = 1024.0 * 1024 * 1024;
    if (mult == 0 || v < 0) throw std::invalid_argument("not a size: '" + text + "' (use e.g. 512MiB, 4GiB)");
    // A double beyond 2^64 does not convert (undefined behaviour; found by fuzz_config).
    if (!(v * mult < 18446744073709551616.0)) throw std::invalid_argument("size too large: '" + text + "'");
    return static_cast<std::uint64_t>(v * mult);
}

namespace {

Config parse_config_text(const std::string& yaml_text, const std::filesystem::path& base_dir, const std::string& source_name) {
    YamlCtx c{source_name};
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(source_name + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    Config cfg;
    cfg.source = source_name;
    if (!root.IsMap()) c.fail(root, "(top level)", "expected a mapping with 'models:'");
    c.only_keys(root, "(top level)", {"server", "models_dir", "memory_budget", "models", "log", "providers", "routes", "pipelines", "store", "sessions", "cache",
                                      "specialists", "mcp"});
    if (root["pipelines"]) {
        const auto& pl = root["pipelines"];
        c.only_keys(pl, "pipelines", {"files", "cache_dir", "parallel", "roots", "http_hosts", "http_allow_private"});
        if (pl["roots"]) {
            if (!pl["roots"].IsSequence()) c.fail(pl["roots"], "pipelines.roots", "expected a list of folders");
            for (std::size_t i = 0; i < pl["roots"].size(); ++i) {
                std::filesystem::path r = c.get<std::string>(pl["roots"][i], "pipelines.roots[" + std::to_string(i) + "]", "a folder");
                cfg.pipelines.roots.push_back((r.is_absolute() ? r : base_dir / r).lexically_normal());
            }
        }
        if (pl["http_hosts"]) {
            if (!pl["http_hosts"].IsSequence()) c.fail(pl["http_hosts"], "pipelines.http_hosts", "expected a list of host names");
            for (std::size_t i = 0; i < pl["http_hosts"].size(); ++i)
                cfg.pipelines.http_hosts.push_back(c.get<std::string>(pl["http_hosts"][i], "pipelines.http_hosts[" + std::to_string(i) + "]", "a host name"));
        }
        if (pl["http_allow_private"])
            cfg.pipelines.http_allow_private = c.get<bool>(pl["http_allow_private"], "pipelines.http_allow_private", "true or false");
        if (pl["files"]) {
            if (!pl["files"].IsSequence()) c.fail(pl["files"], "pipelines.files", "expected a list of pipeline YAML files");
            for (std::size_t i = 0; i < pl["files"].size(); ++i) {
                std::filesystem::path p = c.get<std::string>(pl["files"][i], "pipelines.files[" + std::to_string(i) + "]", "a path");
                p = p.is_absolute() ? p : base_dir / p;
                if (!std::filesystem::exists(p))
                    c.fail(pl["files"][i], "pipelines.files[" + std::to_string(i) + "]", "no such file: " + p.string());
                cfg.pipelines.files.push_back(p.lexically_normal());
            }
        }
        if (pl["cache_dir"]) {
            std::filesystem::path d = c.get<std::string>(pl["cache_dir"], "pipelines.cache_dir", "a path");
            cfg.pipelines.cache_dir = d.is_absolute() ? d : base_dir / d;
        }
        if (pl["parallel"]) cfg.pipelines.parallel = c.get_int(pl["parallel"], "pipelines.parallel", 1, 64);
    }
    if (root["log"]) {
        const auto& l = root["log"];
        c.only_keys(l, "log", {"path", "content"});
        if (l["path"]) {
            std::filesystem::path p = c.get<std::string>(l["path"], "log.path", "a path");
            cfg.log_path = p.is_absolute() ? p : base_dir / p;
        }
        if (l["content"]) cfg.log_content = c.get<bool>(l["content"], "log.content", "true or false");
    }
    if (root["store"]) parse_store(c, root["store"], cfg.store);
    cfg.models_dir = base_dir;
    if (root["models_dir"]) {
        std::filesystem::path d = c.get<std::string>(root["models_dir"], "models_dir", "a path");
        cfg.models_dir = d.is_absolute() ? d : base_dir / d;
    }
    cfg.models_dir = cfg.models_dir.lexically_normal();
    if (root["server"]) parse_server(c, root["server"], cfg.server);
    if (root["memory_budget"]) {
        auto text = c.get<std::string>(root["memory_budget"], "memory_budget", "a size");
        try { cfg.memory_budget_bytes = parse_bytes(text); } catch (const std::exception& e) { c.fail(root["memory_budget"], "memory_budget", e.what()); }
    }
    if (!root["models"] || !root["models"].IsSequence() || root["models"].size() == 0)
        c.fail(root["models"] ? root["models"] : root, "models", "expected a non-empty list of models");
    std::set<std::string> names;
    for (std::size_t i = 0; i < root["models"].size(); ++i) {
        std::string path = "models[" + std::to_string(i) + "]";
        auto m = parse_model(c, root["models"][i], path, cfg.models_dir, base_dir);
        for (const auto& n : [&] { auto all = m.aliases; all.push_back(m.name); return all; }()) {
            if (!names.insert(n).second) c.fail(root["models"][i], path, "name or alias '" + n + "' is used twice");
        }
        cfg.models.push_back(std::move(m));
    }
    parse_routing(c, root, cfg, base_dir);
    parse_sessions_and_cache(c, root, cfg);
    if (root["specialists"]) {
        std::filesystem::path p = c.get<std::string>(root["specialists"], "specialists", "a path");
        cfg.specialists_path = (p.is_absolute() ? p : base_dir / p).lexically_normal();
        for (const auto& s : read_specialists(cfg.specialists_path)) apply_specialist(cfg, s);
    }
    return cfg;
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::filesystem::path& base_dir, const std::string& source_name) {
    try {
        return parse_config_text(yaml_text, base_dir, source_name);
    } catch (const YAML::Exception& e) {
        // A shape the checks above did not anticipate still ends as a ConfigError with a line.
        std::string line = e.mark.is_null() ? "" : ":" + std::to_string(e.mark.line + 1);
        throw ConfigError(source_name + line + ": " + e.msg);
    }
}

Config load_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw ConfigError(file.string() + ": cannot open config file");
    std::stringstream ss;
    ss << in.rdbuf();
    auto base = std::filesystem::absolute(file).parent_path();
    return parse_config(ss.str(), base, file.string());
}

}  // namespace switchyard
