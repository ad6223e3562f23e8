// Configuration of remote providers and routes (virtual model names mapped to tiers of models).
#pragma once

#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace switchyard {

// One upstream of a fleet (providers/fleet_provider.h).
struct EndpointSpec {
    std::string base_url;
    double weight = 1;                            // share of traffic relative to the others
};

// A remote OpenAI-compatible endpoint: what the config file says about it, plus the key read
// from the environment at start. The one description of a provider, from YAML to RemoteProvider.
struct RemoteProviderSpec {
    // The wire format the endpoint speaks: OpenAI chat completions (POST {base_url}/chat/completions,
    // bearer key) or the Anthropic Messages API (POST {base_url}/messages, x-api-key), translated
    // to and from chat completions by the provider (wire/anthropic_upstream.h).
    enum class Api { openai, anthropic };
    std::string name;
    Api api = Api::openai;
    std::string base_url;                         // e.g. https://api.openai.com/v1 (the first endpoint's, for a fleet)
    std::vector<EndpointSpec> endpoints;          // a fleet; empty = base_url alone
    bool prefix_affinity = false;                 // fleet: a conversation sticks to one endpoint (KV-cache reuse)
    std::string api_key_env;                      // variable holding the key ("" = none)
    std::string api_key;                          // resolved from api_key_env at start (never from the file); sent as a bearer token
    std::map<std::string, std::string> models;    // our model name -> upstream model name; others pass through
    double price_input = 0;                       // USD per 1M prompt tokens
    double price_output = 0;                      // USD per 1M completion tokens
    std::chrono::milliseconds timeout{60000};     // the whole call: queueing, retries, streaming
    std::chrono::milliseconds connect_timeout{5000};
    int max_concurrency = 16;
    int max_retries = 2;
    std::chrono::milliseconds retry_backoff{200}; // doubled each retry, with jitter
    int breaker_failures = 5;                     // <= 0: no circuit breaker
    std::chrono::milliseconds breaker_cooldown{30000};
    std::string ca_file;                          // extra PEM CA bundle to trust (private CAs); system store always used
};

// One rung of a route: a model on a provider ("local" = the local pool).
struct TierSpec {
    std::string name;
    std::string provider = "local";
    std::string model;
};

// A rule sends matching requests straight to a tier. All given conditions must hold.
struct RuleSpec {
    std::string name;
    std::string regex;                            // RE2 regex over the prompt text, case-insensitive
    std::vector<std::string> keywords;            // any of them (case-insensitive)
    int min_chars = -1;
    int max_chars = -1;
    std::optional<bool> tools;                    // request has tools
    std::optional<bool> images;                   // request has image parts
    std::string task;                             // metadata.task or X-Switchyard-Task equals this
    std::string tier;                             // target tier name
};

// An optional second opinion in a cascade: after the cheap answer passes the other checks, this
// model is asked whether it answers the request; "no" escalates (router/verifier.h).
struct VerifierSpec {
    std::string provider = "local";
    std::string model;
    std::string question;                         // "" = the built-in question (kDefaultVerifierQuestion)
};

struct CascadeSpec {
    bool enabled = false;
    float min_mean_logprob = -std::numeric_limits<float>::infinity();
    float min_token_logprob = -std::numeric_limits<float>::infinity();
    bool check_json = true;                       // json_schema / json_object answers must parse
    bool check_empty = true;                      // empty answers escalate
    bool check_refusal = true;                    // "I can't help with that" escalates
    int max_escalations = 1;
    std::optional<VerifierSpec> verifier;
};

// A learned classifier (router/classifier.h) picks the starting tier from the prompt's task class.
// It is consulted after the rules (an explicit rule wins) and abstains below min_confidence.
struct ClassifierSpec {
    std::filesystem::path index;                  // from `switchyard router train`; absolute after loading
    float min_confidence = 0.5f;                  // vote share the winning class needs
    int k = 7;                                    // neighbours that vote
    std::map<std::string, std::string> classes;   // task class -> tier name; unmapped classes abstain
};

// Feedback-driven tier bump (router/tier_bump.h): when a task class's share of down-ratings on a
// tier passes max_down_rate over its last `window` ratings (and at least min_ratings exist),
// that class starts one tier higher on this route until the bump is reset.
struct FeedbackSpec {
    bool enabled = false;
    int window = 20;
    int min_ratings = 5;
    float max_down_rate = 0.5f;
};

// A router learned from outcomes (router/learned_router.h, `switchyard router fit`): predicts
// from the prompt whether the cheaper tier's answer will be good enough; below the threshold the
// request starts at the larger tier. Consulted after the rules, before the classifier.
struct LearnedRouterSpec {
    std::filesystem::path file;                   // from `switchyard router fit`; absolute after loading
    std::string small;                            // tier for confident prompts ("" = the route's first tier)
    std::string large;                            // tier otherwise ("" = the route's last tier)
    std::optional<float> threshold;               // overrides the file's threshold
};

// An output constraint for some tiers of a route: a request that matches (its task class and/or a
// regex over the prompt) and goes to one of `tiers` runs there under `schema`, as if the client had
// sent response_format json_schema, unless the client asked for a format (or tools) of its own.
// For closed-answer tasks (a label, a number, a date) it keeps a weak small model's answer
// well-formed; a JSON string answer is unwrapped back to plain text for the client.
struct ConstraintSpec {
    std::string name;
    std::string task;                             // the request's task class (metadata.task or the classifier) equals this
    std::string regex;                            // RE2 over the prompt, case-insensitive
    std::vector<std::string> tiers;               // tier names it applies to (empty = the route's first tier)
    std::string schema;                           // JSON Schema text (from `schema`, `choices` or `pattern`)
};

struct RouteSpec {
    std::string name;                             // the virtual model name clients send
    std::vector<std::string> aliases;             // other names for the route (e.g. "default" for "auto")
    std::vector<TierSpec> tiers;                  // cheapest first
    std::vector<RuleSpec> rules;
    CascadeSpec cascade;
    bool local_only = false;                      // never send this route's requests to a remote provider
    bool redact_pii = false;                      // mask PII before any remote call
    std::optional<ClassifierSpec> classifier;
    std::optional<LearnedRouterSpec> learned;     // YAML key `router:`
    FeedbackSpec feedback;
    std::vector<ConstraintSpec> constrain;        // YAML key `constrain:`, first match wins
};

}  // namespace switchyard
