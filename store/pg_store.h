// The PostgreSQL store (store/store.h): the request log, feedback, tier bumps and per-key spend
// on one database that several replicas share. Reads use a bounded connection pool; writes of
// the request path queue and one writer thread stores them in batched transactions. While the
// database is away the writer retries with backoff and keeps up to max_queue writes; past that
// the oldest are dropped, counted in stats() and reported on stderr, never dropped silently.
#pragma once

#include "config/config.h"
#include "store/pg_conn.h"
#include "store/store.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace switchyard {

class PgStore : public Store {
public:
    // Connects, migrates the schema; throws std::runtime_error with a clear message when the
    // database is unreachable or its schema is newer than this binary.
    explicit PgStore(const StoreSpec& spec);
    ~PgStore() override;  // stores what is queued, retrying for up to 10 s; reports what it could not

    void record(RequestLogEntry entry) override;
    // Waits for everything queued so far; throws std::runtime_error when the database stays
    // away longer than pool_timeout_ms (the writes stay queued and are retried).
    void flush() override;
    std::vector<RequestLogEntry> query(const LogFilter& filter) override;
    std::optional<RequestLogEntry> find(const std::string& id) override;
    void add_feedback(const Feedback& fb) override;
    std::vector<Feedback> feedback_for(const std::string& request_id) override;
    std::vector<std::pair<RequestLogEntry, Feedback>> corrections() override;
    std::uint64_t written() const override;
    double spend_since(const std::string& api_key, double since) override;  // whole UTC days from since's day
    void record_bump(const BumpRecord& bump) override;
    int reset_bumps(const std::string& route, const std::string& task_class, double ts) override;
    std::vector<BumpRecord> bumps(bool active_only) override;
    StoreStats stats() const override;
    LogStats log_stats(double since, int max_samples = 20000) override;   // pg_stats.cpp
    // The database is away and the queue is full: new requests would go unlogged. A shorter
    // outage only queues (and /health shows it).
    bool failing() const override;
    bool shared() const override { return true; }
    void add_spend(const std::string& api_key, double ts, double amount) override;
    std::vector<bool> recent_ratings(const std::string& route, const std::string& task_class,
                                     const std::string& tier, int n) override;

private:
    struct SpendEvent { std::string id, api_key; double ts = 0, amount = 0; };
    struct Batch { std::vector<RequestLogEntry> entries; std::vector<SpendEvent> spend; std::size_t size() const { return entries.size() + spend.size(); } };
    void writer_loop();
    void write_batch(PgConn& conn, const Batch& batch);
    std::size_t write_each(PgConn& conn, const Batch& batch);  // after a data error: returns how many failed
    void drop_oldest_locked();

    std::string where_;                  // redacted URL, for messages
    std::string url_;
    std::size_t max_queue_;
    std::chrono::milliseconds flush_wait_;
    PgPool pool_;
    std::unique_ptr<PgConn> writer_conn_;  // writer thread only

    mutable std::mutex mu_;
    std::condition_variable cv_, flushed_cv_;
    std::deque<RequestLogEntry> queue_;
    std::deque<SpendEvent> spend_queue_;
    std::uint64_t enqueued_ = 0, written_ = 0, dropped_ = 0, retries_ = 0;
    std::size_t in_flight_ = 0;          // the writer's current batch, out of the queues
    bool connected_ = true;
    bool stopping_ = false;
    std::uint64_t flush_target_ = 0;     // flush() waits until this many are stored or dropped
    static constexpr std::size_t kBatch = 64;        // wake the writer at this many
    static constexpr std::size_t kMaxBatch = 512;    // one transaction holds at most this many
    std::thread writer_;
};

}  // namespace switchyard
