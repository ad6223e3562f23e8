// The SQLite store (store/store.h): every accepted request, with its route, models tried,
// tokens, latency, cost and status, in SQLite (WAL). Writes go through a queue drained by one
// writer thread (group commit: at most one transaction per 10 ms window, with whatever queued
// meanwhile), so logging never blocks a request and an entry is committed within about
// 10 ms; flush() and the destructor drain the queue, so nothing accepted goes unlogged on
// shutdown. record() also appends the entry to a journal (store/log_journal.h) that survives a
// SIGKILL; the next start replays it, so an entry recorded before the response's last bytes
// (api/server.cpp does) is never lost with the process. Feedback lives in the same file.
#pragma once

#include "store/log_journal.h"
#include "store/store.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace switchyard {

class RequestLog : public Store {
public:
    // Opens (creating if needed) the database; throws std::runtime_error with the path on failure.
    explicit RequestLog(const std::filesystem::path& file);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    // Never waits for the database: one append to the journal (page cache, no fsync) and a queue.
    void record(RequestLogEntry entry) override;
    void flush() override;                         // returns when everything recorded so far is on disk

    std::vector<RequestLogEntry> query(const LogFilter& filter) override;
    std::optional<RequestLogEntry> find(const std::string& id) override;
    // Throws std::invalid_argument if the request id is unknown.
    void add_feedback(const Feedback& fb) override;
    std::vector<Feedback> feedback_for(const std::string& request_id) override;
    // Down-rated requests that carry a correction, newest last, joined with their prompt.
    std::vector<std::pair<RequestLogEntry, Feedback>> corrections() override;
    std::uint64_t written() const override;
    // True while entries cannot be written (disk full, I/O error): they stay queued and are
    // retried every second, and the server refuses new requests (503) rather than serve them
    // unlogged. False again once a write succeeds.
    bool failing() const override { return failing_.load(std::memory_order_relaxed); }
    // Cost (USD) of the key's requests logged since `since` (unix seconds): seeds spend limits.
    double spend_since(const std::string& api_key, double since) override;
    void record_bump(const BumpRecord& bump) override;
    // Marks active bumps reset; "" matches any route or class. Returns how many.
    int reset_bumps(const std::string& route, const std::string& task_class, double ts) override;
    std::vector<BumpRecord> bumps(bool active_only) override;
    StoreStats stats() const override;
    LogStats log_stats(double since, int max_samples = 20000) override;  // flushes, then reads the file

private:
    void writer_loop();
    void write_batch(std::vector<RequestLogEntry>& batch);

    std::filesystem::path path_;
    sqlite3* write_db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;     // the writer thread's INSERT, prepared once
    sqlite3* read_db_ = nullptr;
    std::mutex read_mu_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable flushed_cv_;
    std::deque<RequestLogEntry> queue_;
    std::uint64_t enqueued_ = 0;
    std::uint64_t written_ = 0;
    std::uint64_t dropped_ = 0;
    bool stopping_ = false;
    bool flush_wanted_ = false;          // flush() is waiting: write what is queued now
    bool writer_idle_ = false;           // the writer waits for work: the next record() wakes it
    std::atomic<bool> failing_{false};
    bool journal_failing_ = false;       // the last journal append failed (reported once)
    std::unique_ptr<LogJournal> journal_;   // guarded by mu_
    std::thread writer_;
};

}  // namespace switchyard
