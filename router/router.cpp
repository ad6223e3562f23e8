#include "router/router.h"

#include "router/checks.h"
#include "router/pii.h"
#include "router/verifier.h"
#include "providers/offload.h"

#include <cstdio>
#include <ctime>

namespace switchyard::router {

bool wants_json_output(const json& request) {
    if (!request.contains("response_format") || !request["response_format"].is_object()) return false;
    std::string t = request["response_format"].value("type", "");
    return t == "json_object" || t == "json_schema";
}

namespace {

// The start tier, the tiers above it, then the ones below it (nearest first).
std::vector<std::size_t> tier_order(const RouteSpec& route, std::size_t start) {
    std::vector<std::size_t> order;
    for (std::size_t i = start; i < route.tiers.size(); ++i) order.push_back(i);
    for (std::size_t i = start; i-- > 0;) order.push_back(i);
    return order;
}

// Masks PII in every message text; the redactor remembers the values to restore the answer.
void redact_messages(json& body, PiiRedactor& redactor) {
    if (!body.contains("messages") || !body["messages"].is_array()) return;
    for (auto& m : body["messages"]) {
        if (!m.is_object() || !m.contains("content")) continue;
        auto& c = m["content"];
        if (c.is_string()) c = redactor.redact(c.get<std::string>());
        else if (c.is_array())
            for (auto& part : c)
                if (part.is_object() && part.contains("text") && part["text"].is_string()) part["text"] = redactor.redact(part["text"].get<std::string>());
    }
}

// A model name as a route: one tier, the model itself on the local provider.
RouteSpec model_route(const std::string& name, const std::string& model) {
    RouteSpec r;
    r.name = name;
    TierSpec t;
    t.name = model;
    t.provider = "local";
    t.model = model;
    r.tiers.push_back(std::move(t));
    return r;
}

// A constrained answer that is one JSON string ("billing") goes back as the plain text the client
// asked for (billing); numbers and objects are already the text.
void unwrap_json_string(providers::ProviderResult& r) {
    json v = json::parse(r.content, nullptr, false);
    if (v.is_discarded() || !v.is_string()) return;
    r.content = v.get<std::string>();
    if (r.response.contains("choices") && !r.response["choices"].empty() && r.response["choices"][0].contains("message"))
        r.response["choices"][0]["message"]["content"] = r.content;
}

// A boolean field, false when absent or not a boolean (the provider's parser reports bad types).
bool flag(const json& request, const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

Router::Router(const Config& config, std::unique_ptr<providers::Provider> local, const RemoteFactory& make_remote,
               ModelPool* pool, asio::thread_pool* blocking)
    : sessions_(config.sessions),
      // Persisted in the request log's database: its SQLite file, or the PostgreSQL store.
      cache_(config.cache, config.store.kind == StoreSpec::Kind::sqlite ? config.log_path : std::filesystem::path(),
             config.store.kind == StoreSpec::Kind::postgres ? config.store.url : std::string()),
      semantic_(config.cache),
      pool_(pool),
      blocking_(blocking) {
    if (semantic_.enabled() && pool) semantic_embed_ = pool_embedder(*pool, semantic_.model());
    providers_["local"] = std::move(local);
    for (const auto& p : config.providers)
        if (make_remote) providers_[p.name] = make_remote(p);
    for (const auto& m : config.models) {
        model_routes_[m.name] = std::make_unique<RoutePolicy>(model_route(m.name, m.name));
        for (const auto& alias : m.aliases) model_routes_[alias] = std::make_unique<RoutePolicy>(model_route(alias, m.name));
    }
    for (const auto& r : config.routes) {
        policies_[r.name] = std::make_unique<RoutePolicy>(r);
        for (const auto& alias : r.aliases) policies_[alias] = std::make_unique<RoutePolicy>(r);  // same route, other name
        if (r.learned && pool) {
            auto lr = std::make_unique<RouteLearnedRouter>(r, config);
            auto embed = lr->model().needs_embedding() ? pool_embedder(*pool, lr->embed_model()) : Embedder{};
            learned_[r.name] = Learned{std::move(lr), std::move(embed)};
        }
        if (r.classifier && pool) {
            auto rc = std::make_unique<RouteClassifier>(r, config);
            auto embed = pool_embedder(*pool, rc->embed_model());
            classifiers_[r.name] = Classified{std::move(rc), std::move(embed)};
        }
    }
}

bool Router::route_by_model(const std::string& route, const RequestFeatures& f, Decision& d) const {
    if (d.by_rule || f.prompt.empty()) return false;
    // install_route may replace the learned router meanwhile (under routes_mu_): the embedder is
    // copied, and the decision (a dot product) is made under the lock by whichever router is
    // current then, provided it still uses the embedding model the vector came from.
    Embedder embed;
    std::string embed_model;
    {
        std::shared_lock lock(routes_mu_);
        auto it = learned_.find(route);
        if (it == learned_.end()) return false;
        embed = it->second.embed;
        embed_model = it->second.router->embed_model();
    }
    try {
        const auto vec = embed ? embed({f.prompt}).front() : std::vector<float>{};   // hashed n-grams: no model
        std::shared_lock lock(routes_mu_);
        auto it = learned_.find(route);
        if (it == learned_.end() || it->second.router->embed_model() != embed_model) return false;
        auto pick = it->second.router->decide(vec, f.prompt);
        d.trace.push_back(pick.trace);
        d.tier = pick.tier;
        return true;
    } catch (const std::exception& e) {
        d.trace.push_back({{"step", "learned_router"}, {"error", e.what()}});
        return false;
    }
}

void Router::classify(const std::string& route, const RequestFeatures& f, Decision& d) const {
    if (d.by_rule || f.prompt.empty()) return;
    if (route_by_model(route, f, d)) return;  // the learned router decides; the classifier is its fallback
    const RouteClassifier* classifier = nullptr;
    const Embedder* embed = nullptr;
    {
        std::shared_lock lock(routes_mu_);
        auto it = classifiers_.find(route);
        if (it == classifiers_.end()) return;
        classifier = it->second.classifier.get();
        embed = &it->second.embed;
    }
    try {
        auto pick = classifier->decide((*embed)({f.prompt}).front());
        d.trace.push_back(pick.trace);
        if (pick.tier) {
            d.tier = *pick.tier;
            if (d.task_class.empty()) d.task_class = pick.classification.task_class;
        }
    } catch (const std::exception& e) {
        d.trace.push_back({{"step", "classifier"}, {"error", e.what()}});
    }
}

void Router::apply_bump(const RouteSpec& route, const RequestFeatures& f, Decision& d) const {
    if (!f.task.empty()) d.task_class = f.task;  // an explicit task names the class
    if (d.task_class.empty()) d.task_class = "default";
    if (!route.feedback.enabled) return;
    auto bump = bumps_.active(route.name, d.task_class);
    if (!bump || bump->to_index <= d.tier || bump->to_index >= route.tiers.size()) return;
    d.trace.push_back({{"step", "feedback_bump"}, {"class", d.task_class}, {"from", route.tiers[d.tier].name},
                       {"tier", bump->to_tier}, {"down_rate", bump->down_rate}, {"ratings", bump->ratings}});
    d.tier = bump->to_index;
}

std::string Router::unusable(const std::string& provider_name, bool local_only) const {
    if (local_only && provider_name != "local") return "local_only";
    auto* p = provider(provider_name);
    if (!p) return "provider '" + provider_name + "' is not configured";
    return p->available() ? "" : "circuit breaker open";
}

// Every call a route makes, answer or not, is named in models_tried and paid for.
void Router::charge(RouteOutcome& out, const std::string& provider_name, const std::string& model,
                    const providers::ProviderResult& r, const providers::Provider& p) {
    out.models_tried.push_back(provider_name == "local" ? model : provider_name + "/" + model);
    out.cost += (r.prompt_tokens * p.price_input() + r.completion_tokens * p.price_output()) / 1e6;
}

asio::awaitable<std::optional<bool>> Router::verify(const RouteSpec& route, const VerifierSpec& spec, const json& request,
                                                   const std::string& answer, bool local_only,
                                                   const std::shared_ptr<providers::Cancellation>& cancel, RouteOutcome& out) {
    std::string skip = unusable(spec.provider, local_only);
    if (!skip.empty()) {
        out.trace.push_back({{"step", "verify"}, {"skipped", skip}});
        co_return std::nullopt;   // no second opinion: the other checks decide
    }
    auto* p = provider(spec.provider);
    json body = verifier_request(request, answer, spec);
    PiiRedactor redactor;
    if (route.redact_pii && !p->is_local()) redact_messages(body, redactor);
    providers::CallOptions call;   // a chat request, whatever the client's endpoint
    call.cancel = cancel;
    providers::ProviderResult r = co_await p->call(body, nullptr, call);
    charge(out, spec.provider, spec.model, r, *p);
    if (r.status >= 400) {
        out.trace.push_back({{"step", "verify"}, {"model", spec.model}, {"error", r.error}});
        co_return std::nullopt;
    }
    std::optional<bool> verdict = parse_verdict(r.content);
    json step = {{"step", "verify"}, {"model", spec.model}, {"verdict", verdict ? (*verdict ? "yes" : "no") : "unreadable"}};
    if (!verdict) step["reply"] = r.content.substr(0, 200);
    out.trace.push_back(step);
    co_return verdict;
}

const RoutePolicy& Router::policy_for(const std::string& route) const {
    if (const RoutePolicy* p = policy(route)) return *p;
    throw std::out_of_range("no route named '" + route + "'");
}

const RoutePolicy* Router::policy(const std::string& route) const {
    std::shared_lock lock(routes_mu_);
    auto it = policies_.find(route);
    return it == policies_.end() ? nullptr : it->second.get();
}

providers::Provider* Router::provider(const std::string& name) const {
    auto it = providers_.find(name);
    return it == providers_.end() ? nullptr : it->second.get();
}

json Router::explain(const json& request, const RequestContext& rc) const {
    std::string name = request.value("model", "");
    const auto& policy = policy_for(name);
    const auto& route = policy.route();
    auto f = extract_features(request, rc.task_header);
    bool local_only = route.local_only || f.local_only || rc.local_only;
    Decision d = policy.decide(f);
    classify(route.name, f, d);
    apply_bump(route, f, d);
    sessions_.apply(route, rc.key ? rc.key->name : "", session_of(request, rc.session), d, static_cast<double>(std::time(nullptr)));
    json plan = json::array();
    for (std::size_t i : tier_order(route, d.tier)) {
        const auto& t = route.tiers[i];
        auto* p = provider(t.provider);
        json step = {{"tier", t.name}, {"provider", t.provider}, {"model", t.model}};
        if (i < d.tier) step["fallback"] = true;
        if (const auto* k = wants_json_output(request) || f.has_tools ? nullptr : policy.constraint_for(t.name, f, d.task_class))
            step["constrain"] = k->spec.name;
        if (local_only && t.provider != "local") step["skipped"] = "local_only";
        else if (!p) step["skipped"] = "provider not configured";
        else if (!p->available()) step["skipped"] = "circuit breaker open";
        plan.push_back(step);
    }
    return {{"route", route.name}, {"tier", route.tiers[d.tier].name}, {"model", route.tiers[d.tier].model}, {"task_class", d.task_class},
            {"local_only", local_only}, {"cascade", route.cascade.enabled}, {"trace", d.trace}, {"plan", plan},
            {"features", {{"prompt_chars", f.prompt.size()}, {"tools", f.has_tools}, {"images", f.has_images}, {"task", f.task}}}};
}

asio::awaitable<RouteOutcome> Router::run(const json& request, const RequestContext& rc,
                                          const providers::ChunkSink* sink, RouteProgress& progress) {
    RouteOutcome out;
    const std::string name = request.contains("model") && request["model"].is_string() ? request["model"].get<std::string>() : "";
    // Configured routes first, then model names; a name that is neither still gets its one-tier
    // route, so the local provider answers it (model_not_found, naming the configured models).
    std::unique_ptr<RoutePolicy> unknown;
    const RoutePolicy* found = policy(name);
    if (!found) {
        auto it = model_routes_.find(name);
        if (it != model_routes_.end()) found = it->second.get();
        else found = (unknown = std::make_unique<RoutePolicy>(model_route(name, name))).get();
        out.direct = true;
    }
    const auto& policy = *found;
    const auto& route = policy.route();
    out.route = route.name;
    auto f = extract_features(request, rc.task_header);
    const bool local_only = route.local_only || f.local_only || rc.local_only;
    Decision d = policy.decide(f);
    bool embeds = false;   // a classifier or a learned router embeds the prompt (blocking work)
    {
        std::shared_lock lock(routes_mu_);
        auto it = learned_.find(route.name);
        embeds = classifiers_.count(route.name) > 0 || (it != learned_.end() && it->second.embed);
    }
    if (blocking_ && !out.direct && embeds) {
        auto job = [&] { classify(route.name, f, d); return true; };  // embedding blocks: off the I/O thread
        co_await switchyard::offload(*blocking_, job);
    } else {
        classify(route.name, f, d);
    }
    apply_bump(route, f, d);
    const double now = static_cast<double>(std::time(nullptr));
    const std::string scope = rc.key ? rc.key->name : "";
    if (!out.direct) out.session = session_of(request, rc.session);   // one tier: nothing to keep
    if (!out.session.empty()) out.session_tier = sessions_.apply(route, scope, out.session, d, now);
    out.task_class = d.task_class;
    out.trace = d.trace;
    if (local_only) out.trace.push_back({{"step", "privacy"}, {"local_only", true}});
    const bool client_stream = flag(request, "stream");
    const bool client_logprobs = rc.endpoint == providers::Endpoint::chat ? flag(request, "logprobs")
                                 : request.contains("logprobs") && request["logprobs"].is_number_integer();
    const bool wants_json = wants_json_output(request);
    const double max_cost = rc.max_cost != -1 ? rc.max_cost : f.max_cost;
    const bool low_latency = (rc.latency.empty() ? f.latency : rc.latency) == "low";
    if (max_cost == -2) {
        out.status = 400;
        out.error_code = "invalid_max_cost";
        out.error = "max_cost must be a non-negative number of US dollars";
        co_return out;
    }
    if (low_latency && route.cascade.enabled) out.trace.push_back({{"step", "latency"}, {"cascade", "off"}});
    std::string cache_key;
    std::string semantic_partition;          // set when the semantic cache was asked: the answer goes there too
    std::vector<float> semantic_embedding;
    if (cache_.enabled()) {
        if (rc.cache_bypass || ResponseCache::bypassed(request)) out.cache = "bypass";
        else if (!cache_.cacheable(request)) out.cache = "uncacheable";
        else {
            const std::string endpoint = rc.endpoint == providers::Endpoint::text ? "text" : "chat";
            cache_key = ResponseCache::key(request, route.name + "/" + endpoint, d.tier, scope);
            std::optional<CachedAnswer> hit = cache_.get(cache_key, now);
            if (!hit && cache_.persistent()) {
                auto load = [&] { return cache_.load(cache_key, now); };   // SQLite: off the I/O thread
                try {
                    if (blocking_) hit = co_await switchyard::offload(*blocking_, load);
                    else hit = load();
                } catch (const std::exception& e) {
                    out.trace.push_back({{"step", "cache"}, {"error", e.what()}});   // a miss, not a failure
                }
            }
            // Exact miss: the semantic cache, when configured for this request's class.
            const float threshold = semantic_.enabled() && semantic_embed_ && !rc.cache_exact_only ? semantic_.threshold(d.task_class) : -1.0f;
            std::string text;
            if (!hit && threshold >= 0 &&
                SemanticCache::split(request, route.name + "/" + endpoint, d.tier, scope, d.task_class, text, semantic_partition)) {
                auto embed = [&] { return semantic_embed_({text}).front(); };   // a model call: off the I/O thread
                try {
                    if (blocking_) semantic_embedding = co_await switchyard::offload(*blocking_, embed);
                    else semantic_embedding = embed();
                } catch (const std::exception& e) {
                    out.trace.push_back({{"step", "cache"}, {"source", "semantic"}, {"error", e.what()}});
                }
                if (!semantic_embedding.empty()) {
                    float best = -1;
                    if (auto sh = semantic_.find(semantic_partition, semantic_embedding, threshold, now, &best)) {
                        hit = std::move(sh->answer);
                        out.trace.push_back({{"step", "cache"}, {"result", "hit"}, {"tier", hit->tier}, {"source", "semantic"},
                                             {"similarity", sh->similarity}, {"threshold", threshold}, {"class", d.task_class}});
                    } else {
                        out.trace.push_back({{"step", "cache"}, {"result", "miss"}, {"source", "semantic"},
                                             {"similarity", best < 0 ? json(nullptr) : json(best)}, {"threshold", threshold},
                                             {"class", d.task_class}});
                    }
                }
            }
            if (hit) {
                out.cache = hit->source == "semantic" ? "semantic_hit" : "hit";
                if (hit->source != "semantic")
                    out.trace.push_back({{"step", "cache"}, {"result", "hit"}, {"tier", hit->tier}, {"source", hit->source}});
                out.ok = true;
                out.tier = hit->tier;
                out.provider = hit->provider;
                out.model = hit->model;
                out.result = std::move(hit->result);
                sessions_.reached(route, scope, out.session, hit->tier_index, now);
                progress.cache = out.cache;
                co_return out;
            }
            out.cache = "miss";
        }
        progress.cache = out.cache;
    }
    const double key_left = rc.key && rc.key->spend_limit >= 0 ? rc.key->spend_limit - ledger_.spent(*rc.key, now) : 1e300;
    std::string budget_block;  // why the last tier was skipped for money, if it was
    std::optional<providers::ProviderResult> rejected;
    const TierSpec* rejected_tier = nullptr;
    auto accept = [&](const TierSpec& tier, providers::ProviderResult&& r) {
        if (!client_logprobs && r.response.contains("choices") && !r.response["choices"].empty())
            r.response["choices"][0]["logprobs"] = nullptr;
        out.ok = true;
        out.status = 200;
        out.error.clear();
        out.tier = tier.name;
        out.provider = tier.provider;
        out.model = tier.model;
        out.result = std::move(r);
    };

    // Tiers this request may use, in order: the start tier and those above it (a cascade may
    // climb at most max_escalations of them), then, as a last resort when none of those could
    // answer (failed, unaffordable, skipped), the cheaper tiers below it, best first.
    std::vector<std::size_t> eligible;
    std::size_t n_up = 0;
    for (std::size_t i : tier_order(route, d.tier)) {
        const auto& t = route.tiers[i];
        std::string skip = unusable(t.provider, local_only);
        if (!skip.empty()) { out.trace.push_back({{"step", "skip"}, {"tier", t.name}, {"why", skip}}); continue; }
        eligible.push_back(i);
        if (i >= d.tier) ++n_up;
    }
    if (eligible.empty()) {
        out.status = 503;
        out.error_code = local_only ? "no_local_tier" : "no_tier_available";
        out.error = local_only ? "Route '" + route.name + "' must stay local for this request, and no local tier can serve it"
                               : "Route '" + route.name + "': no tier is available (all providers unconfigured or failing)";
        co_return out;
    }

    for (std::size_t k = 0; k < eligible.size(); ++k) {
        const auto& tier = route.tiers[eligible[k]];
        auto* p = provider(tier.provider);
        const bool fallback = k >= n_up;
        if (fallback && rejected) break;  // the cheap answer the cascade doubted beats none
        if (fallback) out.trace.push_back({{"step", "fallback_down"}, {"tier", tier.name}});
        // Budgets: a priced tier is called only if its estimated cost fits what is left.
        const double estimate = estimate_cost(request, f.prompt.size(), *p);
        if (estimate > 0 && max_cost >= 0 && out.cost + estimate > max_cost) {
            out.trace.push_back({{"step", "skip"}, {"tier", tier.name}, {"why", "max_cost"}, {"estimate", estimate}, {"max_cost", max_cost}});
            budget_block = "max_cost";
            continue;
        }
        if (estimate > 0 && out.cost + estimate > key_left) {
            out.trace.push_back({{"step", "skip"}, {"tier", tier.name}, {"why", "spend_limit"}, {"estimate", estimate}, {"key", rc.key->name}});
            budget_block = "spend_limit";
            continue;
        }
        const bool last = k + 1 >= n_up || out.escalations >= route.cascade.max_escalations || low_latency;
        // Cascade checks and the verifier read chat answers; text completions are not checked.
        const bool checking = route.cascade.enabled && !last && !fallback && rc.endpoint == providers::Endpoint::chat;
        // An output constraint for this tier (route `constrain:`), unless the client chose a format or tools.
        const RouteConstraint* constraint = rc.endpoint == providers::Endpoint::chat && !wants_json && !f.has_tools
                                               ? policy.constraint_for(tier.name, f, d.task_class) : nullptr;
        PiiRedactor redactor;
        const bool redact = route.redact_pii && !p->is_local();
        // A checked tier is buffered (its answer may be thrown away); so is a redacted one, whose
        // placeholders must be restored before the client sees the text.
        const bool live = client_stream && sink && !checking && !redact && !constraint;   // a constrained answer is unwrapped first
        // Nothing to change but "model": a provider that can forwards the client's own text (no
        // copy of the body here, no re-serialisation there).
        const bool forward_raw = !rc.raw_body.empty() && p->forwards_raw() && !checking && !redact && !constraint &&
                                 (!client_stream || live) && !request.contains("metadata");
        json body;
        if (!forward_raw) {
            body = request;
            body["model"] = tier.model;
            body.erase("metadata");
            if (client_stream && !live) {
                body["stream"] = false;
                body.erase("stream_options");
            }   // otherwise as the client sent it, so the provider's parser judges it (a bad "stream" is a 400)
            if (checking && route.cascade.min_mean_logprob > -1e30f) body["logprobs"] = true;
            if (checking && route.cascade.min_token_logprob > -1e30f) body["logprobs"] = true;
            if (constraint) {
                body["response_format"] = constraint->response_format;
                out.trace.push_back({{"step", "constrain"}, {"tier", tier.name}, {"constraint", constraint->spec.name}});
            }
            if (redact) {
                redact_messages(body, redactor);
                out.trace.push_back({{"step", "redact"}, {"tier", tier.name}, {"values", redactor.count()}});
            }
        }
        progress.tier = &tier;
        progress.provider = p;
        providers::CallOptions call;
        call.endpoint = rc.endpoint;
        call.cancel = rc.cancel;
        if (forward_raw) {
            call.raw_body = rc.raw_body;
            call.model = &tier.model;
        }
        providers::ProviderResult r = co_await p->call(forward_raw ? request : body, live ? sink : nullptr, call);
        charge(out, tier.provider, tier.model, r, *p);
        if (r.status >= 400) {
            out.trace.push_back({{"step", "call"}, {"tier", tier.name}, {"status", r.status}, {"error", r.error}});
            out.result = std::move(r);
            out.status = out.result.status;
            out.error = out.result.error;
            if (out.result.streamed_to_client) break;  // the client already has part of an answer
            continue;                                  // fail over to the next tier
        }
        if (redact) {
            r.content = redactor.restore(r.content);
            if (r.response.contains("choices") && !r.response["choices"].empty() && r.response["choices"][0].contains("message")) {
                auto& msg = r.response["choices"][0]["message"];
                if (msg.contains("content") && msg["content"].is_string()) msg["content"] = redactor.restore(msg["content"].get<std::string>());
            }
        }
        if (constraint) unwrap_json_string(r);
        if (checking) {
            CheckResult c = check_answer(route.cascade, r, wants_json);
            out.trace.push_back({{"step", "check"}, {"tier", tier.name}, {"accept", c.accept}, {"reason", c.reason},
                                 {"mean_logprob", c.mean_logprob}, {"min_logprob", c.min_logprob}});
            if (c.accept && route.cascade.verifier) {
                std::optional<bool> verdict = co_await verify(route, *route.cascade.verifier, request, r.content, local_only, rc.cancel, out);
                if (verdict && !*verdict) { c.accept = false; c.reason = "verifier said no"; }
            }
            if (!c.accept) {
                ++out.escalations;
                rejected = std::move(r);   // kept: answers if every higher tier fails or is unaffordable
                rejected_tier = &tier;
                continue;
            }
        } else {
            out.trace.push_back({{"step", "call"}, {"tier", tier.name}, {"status", r.status}});
        }
        accept(tier, std::move(r));
        break;
    }
    if (!out.ok && rejected && !(out.result.streamed_to_client)) {
        out.trace.push_back({{"step", "fallback"}, {"tier", rejected_tier->name}, {"why", "no higher tier answered"}});
        accept(*rejected_tier, std::move(*rejected));
    }
    if (rc.key) ledger_.add(*rc.key, out.cost, now);
    if (!out.ok && out.error.empty() && budget_block == "spend_limit") {
        out.status = 429;
        out.error_code = "insufficient_quota";
        char buf[160];
        std::snprintf(buf, sizeof buf, "API key '%s' reached its spend limit ($%.4f per %s) and no free tier of route '%s' could answer",
                      rc.key->name.c_str(), rc.key->spend_limit,
                      rc.key->period == ApiKeySpec::Period::day ? "day" : rc.key->period == ApiKeySpec::Period::month ? "month" : "all time",
                      route.name.c_str());
        out.error = buf;
    } else if (!out.ok && out.error.empty() && budget_block == "max_cost") {
        out.status = 400;
        out.error_code = "max_cost_exceeded";
        out.error = "Route '" + route.name + "': no tier that could answer fits max_cost";
    }
    if (!out.ok && out.error.empty()) {
        out.status = 503;
        out.error = "Route '" + route.name + "': every tier failed";
    }
    if (!out.ok && out.error_code.empty()) out.error_code = out.status >= 500 ? "upstream_error" : "tier_failed";
    if (out.ok) {
        const std::size_t answered = policy.tier_index(out.tier);
        sessions_.reached(route, scope, out.session, answered, now);
        if (!cache_key.empty() && out.result.finish_reason != "cancelled") {
            CachedAnswer answer{out.result, out.tier, out.provider, out.model, answered};
            cache_.put(cache_key, answer, now);
            // The database write does not hold up the answer.
            if (auto job = cache_.persist_job(cache_key, answer, now)) {
                if (blocking_) asio::post(*blocking_, std::move(job));
                else job();
            }
            if (!semantic_embedding.empty()) semantic_.put(semantic_partition, std::move(semantic_embedding), answer, now);
        }
    }
    co_return out;
}

}  // namespace switchyard::router
