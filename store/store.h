// The store: where the request log, feedback, tier bumps and per-key spend live. Two
// implementations: RequestLog (SQLite, one file, the embedded default; store/request_log.h) and
// PgStore (PostgreSQL, shared by several replicas; store/pg_store.h). open_store() picks one
// from the config. Writes of the request path (record, add_spend) only queue; a writer thread
// stores them in batches, so the request path never waits on the database.
#pragma once

#include "store/request_stats.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard {

struct RequestLogEntry {
    std::string id;
    double ts = 0;                 // unix seconds
    std::string api_key;           // a short fingerprint, never the key itself
    std::string endpoint;          // /v1/chat/completions, ...
    std::string model_requested;   // what the client asked for (may be a route like "auto")
    std::string model;             // what answered
    std::string route;             // route name, "" for a direct model
    std::string trace;             // JSON: the policy decisions
    std::string models_tried;      // JSON array
    int escalations = 0;
    std::string task_class;
    int status = 0;
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;
    double latency_ms = 0;
    double ttft_ms = -1;
    double cost = 0;
    std::string finish_reason;
    std::string error;
    std::string prompt;            // only when log_content is on
    std::string answer;            // only when log_content is on
    std::string tier;              // the route tier that answered ("" for a direct model)
};

// A feedback-driven tier bump as stored (router/tier_bump.h decides them).
struct BumpRecord {
    std::string route, task_class, from_tier, to_tier;
    double down_rate = 0;
    int ratings = 0;
    double ts = 0;
    double reset_ts = 0;           // 0 while active
};

struct Feedback {
    std::string request_id;
    double ts = 0;
    std::string rating;            // up | down
    std::string correction;
};

struct LogFilter {
    std::optional<int> status;
    std::string model;             // matches model or model_requested
    std::string route;
    double since = 0;              // unix seconds
    bool errors_only = false;
    int limit = 50;
};

// Counters for /health and /metrics.
struct StoreStats {
    std::string kind;              // sqlite | postgres
    std::uint64_t queued = 0;      // accepted, not yet stored
    std::uint64_t written = 0;
    std::uint64_t dropped = 0;     // given up on (queue full or database gone at shutdown); also reported on stderr
    std::uint64_t retries = 0;     // batches written again after a database error
    bool connected = true;
};

class Store {
public:
    virtual ~Store() = default;

    virtual void record(RequestLogEntry entry) = 0;   // never blocks on I/O
    virtual void flush() = 0;                         // returns when everything recorded so far is stored
    virtual std::vector<RequestLogEntry> query(const LogFilter& filter) = 0;
    virtual std::optional<RequestLogEntry> find(const std::string& id) = 0;
    // Throws std::invalid_argument if the request id is unknown.
    virtual void add_feedback(const Feedback& fb) = 0;
    virtual std::vector<Feedback> feedback_for(const std::string& request_id) = 0;
    // Down-rated requests that carry a correction, newest last, joined with their prompt.
    virtual std::vector<std::pair<RequestLogEntry, Feedback>> corrections() = 0;
    virtual std::uint64_t written() const = 0;
    // Cost (USD) the key spent since `since` (unix seconds): seeds and syncs spend limits.
    virtual double spend_since(const std::string& api_key, double since) = 0;
    virtual void record_bump(const BumpRecord& bump) = 0;
    // Marks active bumps reset; "" matches any route or class. Returns how many.
    virtual int reset_bumps(const std::string& route, const std::string& task_class, double ts) = 0;
    virtual std::vector<BumpRecord> bumps(bool active_only) = 0;
    virtual StoreStats stats() const = 0;
    // The dashboard's aggregates since `since` (store/request_stats.h); with a shared store,
    // over every replica's requests. Throws std::runtime_error when the store cannot be read.
    virtual LogStats log_stats(double since, int max_samples = 20000) = 0;
    // True while writes cannot keep up with what is accepted (the server then answers 503
    // rather than serve requests it cannot log).
    virtual bool failing() const { return false; }

    // Shared stores (several replicas on one database) keep a spend counter of their own, fed
    // by add_spend, and give rating windows across replicas. A local store derives spend from
    // the request log and keeps rating windows in memory (router/tier_bump.h).
    virtual bool shared() const { return false; }
    virtual void add_spend(const std::string& api_key, double ts, double amount) {}  // queued like record()
    // The newest `n` ratings (true = down) of requests a (route, class, tier) answered since the
    // last reset matching them, oldest first.
    virtual std::vector<bool> recent_ratings(const std::string& route, const std::string& task_class,
                                             const std::string& tier, int n) { return {}; }
};

}  // namespace switchyard
