// The request log: every accepted request, with its route, models tried, tokens, latency, cost
// and status, in SQLite (WAL). Writes go through a queue drained by one writer thread (group
// commit: whatever queued while one transaction was written goes into the next), so logging
// never blocks a request and an entry is committed within about a millisecond; flush() and the
// destructor drain the queue, so nothing accepted goes unlogged on shutdown. Feedback lives in
// the same file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

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

class RequestLog {
public:
    // Opens (creating if needed) the database; throws std::runtime_error with the path on failure.
    explicit RequestLog(const std::filesystem::path& file);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    void record(RequestLogEntry entry);   // never blocks on I/O
    void flush();                         // returns when everything recorded so far is on disk

    std::vector<RequestLogEntry> query(const LogFilter& filter);
    std::optional<RequestLogEntry> find(const std::string& id);
    // Throws std::invalid_argument if the request id is unknown.
    void add_feedback(const Feedback& fb);
    std::vector<Feedback> feedback_for(const std::string& request_id);
    // Down-rated requests that carry a correction, newest last, joined with their prompt.
    std::vector<std::pair<RequestLogEntry, Feedback>> corrections();
    std::uint64_t written() const;
    // True while entries cannot be written (disk full, I/O error): they stay queued and are
    // retried every second, and the server refuses new requests (503) rather than serve them
    // unlogged. False again once a write succeeds.
    bool failing() const { return failing_.load(std::memory_order_relaxed); }
    // Cost (USD) of the key's requests logged since `since` (unix seconds): seeds spend limits.
    double spend_since(const std::string& api_key, double since);
    void record_bump(const BumpRecord& bump);
    // Marks active bumps reset; "" matches any route or class. Returns how many.
    int reset_bumps(const std::string& route, const std::string& task_class, double ts);
    std::vector<BumpRecord> bumps(bool active_only);

private:
    void writer_loop();
    void write_batch(std::vector<RequestLogEntry>& batch);

    std::filesystem::path path_;
    sqlite3* write_db_ = nullptr;
    sqlite3* read_db_ = nullptr;
    std::mutex read_mu_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable flushed_cv_;
    std::deque<RequestLogEntry> queue_;
    std::uint64_t enqueued_ = 0;
    std::uint64_t written_ = 0;
    bool stopping_ = false;
    bool flush_wanted_ = false;          // flush() is waiting: write what is queued now
    bool writer_idle_ = false;           // the writer waits for work: the next record() wakes it
    std::atomic<bool> failing_{false};
    std::thread writer_;
};

}  // namespace switchyard
