// Runs a request on a route: pick the starting tier (rules), skip tiers that privacy or a
// circuit breaker rule out, call the provider, check the answer (cascade) and escalate to the
// next tier when it looks unreliable, failing over when a provider errors before streaming.
// Every chat and text completion goes through here: a model name is a route with one tier
// (that model on the local provider), so a direct request takes the same path as a routed one.
#pragma once

#include "config/config.h"
#include "providers/provider.h"
#include "router/budget.h"
#include "router/classifier.h"
#include "router/learned_router.h"
#include "router/policy.h"
#include "router/response_cache.h"
#include "router/semantic_cache.h"
#include "router/session_store.h"
#include "router/tier_bump.h"

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace switchyard::router {

namespace asio = boost::asio;

// Updated by the router before each provider call, so a streaming caller knows who is talking.
struct RouteProgress {
    const TierSpec* tier = nullptr;
    const providers::Provider* provider = nullptr;
    std::string cache;                   // the response cache's verdict (miss/bypass/...), known before the call
};

struct RouteOutcome {
    bool ok = false;
    providers::ProviderResult result;    // of the tier that answered, or of the last failure
    std::string route, tier, provider, model;
    std::string task_class;              // what feedback about this answer is counted against
    json trace = json::array();
    std::vector<std::string> models_tried;
    int escalations = 0;
    double cost = 0;                     // USD, every attempt included
    int status = 200;                    // when !ok: the status to answer with
    std::string error;                   // when !ok
    std::string error_code;
    std::string cache;                   // hit | miss | bypass | uncacheable; "" when the cache is off
    std::string session;                 // the session key, when the request had one
    std::string session_tier;            // the highest tier the session had reached before ("" = new)
    bool direct = false;                 // the name was a model's (a one-tier route), not a configured route
};

struct RequestContext {
    std::string task_header;             // X-Switchyard-Task
    bool local_only = false;             // X-Switchyard-Local-Only or an API key marked local-only
    double max_cost = -1;                // X-Switchyard-Max-Cost (USD; overrides metadata.max_cost)
    std::string latency;                 // X-Switchyard-Latency (overrides metadata.latency)
    const ApiKeySpec* key = nullptr;     // the caller's named key, for its spend limit
    std::string session;                 // X-Switchyard-Session (else metadata.session_id)
    bool cache_bypass = false;           // X-Switchyard-Cache: bypass
    bool cache_exact_only = false;       // X-Switchyard-Cache: exact (skips the semantic cache)
    providers::Endpoint endpoint = providers::Endpoint::chat;   // /v1/chat/completions or /v1/completions
    std::shared_ptr<providers::Cancellation> cancel;            // set when the client can go away mid-call
};

class Router {
public:
    using RemoteFactory = std::function<std::unique_ptr<providers::Provider>(const RemoteProviderSpec&)>;
    // pool/blocking: for routes with a classifier (embeddings run on the blocking pool); may be null in tests.
    Router(const Config& config, std::unique_ptr<providers::Provider> local, const RemoteFactory& make_remote,
           ModelPool* pool = nullptr, asio::thread_pool* blocking = nullptr);

    // A configured route (model names are one-tier routes too, but not "configured").
    bool has_route(const std::string& name) const { return policy(name) != nullptr; }
    // Replaces (or adds) a route while the server runs (router/route_install.cpp): requests
    // already on the old version finish on it; the next ones see the new one.
    void install_route(const RouteSpec& route, const Config& config);
    // The decision trace for a request, without running any model.
    json explain(const json& request, const RequestContext& rc) const;
    // `request` is the client's body, its "model" a route or a model name; `sink` (may be null)
    // receives live chunks when streaming.
    asio::awaitable<RouteOutcome> run(const json& request, const RequestContext& rc,
                                      const providers::ChunkSink* sink, RouteProgress& progress);
    providers::Provider* provider(const std::string& name) const;
    const RoutePolicy* policy(const std::string& route) const;
    SpendLedger& ledger() { return ledger_; }
    TierBumps& bumps() { return bumps_; }
    SessionStore& sessions() { return sessions_; }
    ResponseCache& cache() { return cache_; }
    SemanticCache& semantic_cache() { return semantic_; }

private:
    SpendLedger ledger_;
    TierBumps bumps_;
    SessionStore sessions_;
    ResponseCache cache_;
    SemanticCache semantic_;
    Embedder semantic_embed_;            // cache.semantic.model on the pool (empty: no semantic cache)
    std::map<std::string, std::unique_ptr<RoutePolicy>> policies_;
    std::map<std::string, std::unique_ptr<RoutePolicy>> model_routes_;   // model names and aliases: one local tier
    // install_route swaps entries of policies_ and classifiers_ under this lock and keeps the
    // replaced ones alive in retired_*, because in-flight requests still hold references to them.
    mutable std::shared_mutex routes_mu_;
    std::vector<std::unique_ptr<RoutePolicy>> retired_policies_;
    ModelPool* pool_ = nullptr;
    std::map<std::string, std::unique_ptr<providers::Provider>> providers_;
    struct Classified {
        std::unique_ptr<RouteClassifier> classifier;
        Embedder embed;
    };
    std::map<std::string, Classified> classifiers_;
    std::vector<Classified> retired_classifiers_;
    // The route's compiled policy; throws std::out_of_range for an unknown route.
    const RoutePolicy& policy_for(const std::string& route) const;
    struct Learned {
        std::unique_ptr<RouteLearnedRouter> router;
        Embedder embed;
    };
    std::map<std::string, Learned> learned_;
    // The learned router, when the route has one and no rule decided; true when it picked the tier.
    bool route_by_model(const std::string& route, const RequestFeatures& f, Decision& d) const;
    asio::thread_pool* blocking_ = nullptr;
    // Applies the route's classifier when no rule decided; failures degrade to the default tier.
    void classify(const std::string& route, const RequestFeatures& f, Decision& d) const;
    // Names the request's task class and raises the start tier when feedback bumped that class.
    void apply_bump(const RouteSpec& route, const RequestFeatures& f, Decision& d) const;
    // Why a provider cannot take this request now ("" when it can): privacy, not configured, breaker.
    std::string unusable(const std::string& provider_name, bool local_only) const;
    static void charge(RouteOutcome& out, const std::string& provider_name, const std::string& model,
                       const providers::ProviderResult& r, const providers::Provider& p);
    // Asks the cascade's verifier model about a cheap answer; nullopt when it could not say
    // (skipped for privacy, unavailable, failed, unreadable). Adds its cost and trace to `out`.
    asio::awaitable<std::optional<bool>> verify(const RouteSpec& route, const VerifierSpec& spec, const json& request,
                                                const std::string& answer, bool local_only,
                                                const std::shared_ptr<providers::Cancellation>& cancel, RouteOutcome& out);
};

bool wants_json_output(const json& request);

}  // namespace switchyard::router
