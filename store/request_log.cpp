#include "store/request_log.h"

#include "store/sqlite_db.h"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace switchyard {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY, ts REAL NOT NULL, api_key TEXT, endpoint TEXT, model_requested TEXT, model TEXT,
  route TEXT, trace TEXT, models_tried TEXT, escalations INTEGER, task_class TEXT, status INTEGER,
  prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, latency_ms REAL, ttft_ms REAL,
  cost REAL, finish_reason TEXT, error TEXT, prompt TEXT, answer TEXT);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT NOT NULL REFERENCES requests(id), ts REAL NOT NULL, rating TEXT NOT NULL, correction TEXT);
CREATE INDEX IF NOT EXISTS feedback_request ON feedback(request_id);
CREATE TABLE IF NOT EXISTS tier_bumps (
  route TEXT NOT NULL, task_class TEXT NOT NULL, from_tier TEXT, to_tier TEXT NOT NULL,
  down_rate REAL, ratings INTEGER, ts REAL NOT NULL, reset_ts REAL);
)sql";

constexpr const char* kColumns =
    "id, ts, api_key, endpoint, model_requested, model, route, trace, models_tried, escalations, task_class, status, "
    "prompt_tokens, completion_tokens, cached_tokens, latency_ms, ttft_ms, cost, finish_reason, error, prompt, answer, tier";

constexpr int kColumnCount = 23;  // entries in kColumns; read_entry reads 0 .. kColumnCount-1
// How long the writer gathers entries before a transaction (and the least time between two):
// an entry is still committed within about 10 ms (store/request_log.h). At 1 ms, a busy gateway
// spent ~20% of its CPU per request in this thread's wake-ups and small transactions.
constexpr auto kGroupWindow = std::chrono::milliseconds(10);

constexpr const char* kWho = "request log";

void check(sqlite3* db, int rc, const std::string& what) { sqlite::check(db, rc, kWho, what); }

struct Stmt : sqlite::Stmt {
    Stmt(sqlite3* d, const std::string& sql) : sqlite::Stmt(d, sql, kWho) {}
};

// The writer's connection runs the schema; the readers' does not.
sqlite3* open_db(const std::filesystem::path& file, const char* schema) {
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) throw std::runtime_error("request log: cannot create the folder of " + file.string() + ": " + ec.message());
    return sqlite::open(file, kWho, schema);
}

RequestLogEntry read_entry(const Stmt& st) {
    RequestLogEntry e;
    auto* s = st.s;
    e.id = st.col_text(0);
    e.ts = sqlite3_column_double(s, 1);
    e.api_key = st.col_text(2);
    e.endpoint = st.col_text(3);
    e.model_requested = st.col_text(4);
    e.model = st.col_text(5);
    e.route = st.col_text(6);
    e.trace = st.col_text(7);
    e.models_tried = st.col_text(8);
    e.escalations = sqlite3_column_int(s, 9);
    e.task_class = st.col_text(10);
    e.status = sqlite3_column_int(s, 11);
    e.prompt_tokens = sqlite3_column_int(s, 12);
    e.completion_tokens = sqlite3_column_int(s, 13);
    e.cached_tokens = sqlite3_column_int(s, 14);
    e.latency_ms = sqlite3_column_double(s, 15);
    e.ttft_ms = sqlite3_column_double(s, 16);
    e.cost = sqlite3_column_double(s, 17);
    e.finish_reason = st.col_text(18);
    e.error = st.col_text(19);
    e.prompt = st.col_text(20);
    e.answer = st.col_text(21);
    e.tier = st.col_text(22);
    return e;
}

}  // namespace

RequestLog::RequestLog(const std::filesystem::path& file) : path_(file) {
    write_db_ = open_db(file, kSchema);
    // Logs written before the tier column existed gain it; their rows read as "".
    bool has_tier = false;
    {
        Stmt info(write_db_, "PRAGMA table_info(requests)");
        while (info.step()) has_tier |= info.col_text(1) == "tier";
    }
    if (!has_tier) check(write_db_, sqlite3_exec(write_db_, "ALTER TABLE requests ADD COLUMN tier TEXT", nullptr, nullptr, nullptr), "add column tier");
    read_db_ = open_db(file, nullptr);
    try {
        journal_ = std::make_unique<LogJournal>(file);
    } catch (...) {
        sqlite3_close(read_db_);
        sqlite3_close(write_db_);
        throw;
    }
    // A process killed before its writer committed left entries in the journal: they go first in
    // the queue. The journal keeps them until that batch commits (segments are emptied only after
    // a commit), so a failure here loses nothing either.
    auto replay = journal_->read_all();
    for (auto& e : replay) queue_.push_back(std::move(e));
    enqueued_ = queue_.size();
    writer_ = std::thread([this] { writer_loop(); });
    if (!replay.empty()) {
        std::fprintf(stderr, "switchyard: request log: %zu entries recovered from the journal of a process that did not shut down cleanly\n",
                     replay.size());
        flush();
    }
}

RequestLog::~RequestLog() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    sqlite3_finalize(insert_);
    // Everything is committed: the next start has nothing to recover. Entries dropped at shutdown
    // (the database could not be written) stay in the journal for the next start.
    if (dropped_ == 0 && queue_.empty()) journal_->clear();
    sqlite3_close(read_db_);
    sqlite3_close(write_db_);
}

void RequestLog::record(RequestLogEntry entry) {
    bool wake;
    {
        std::lock_guard lock(mu_);
        // Journal and queue under one lock: when the writer takes the queue, every entry journaled
        // so far is in that batch or already committed (what lets it empty a journal segment).
        if (journal_->owned()) {
            const bool ok = journal_->append(entry);
            if (!ok && !journal_failing_)
                std::fprintf(stderr, "switchyard: request log: cannot append to the journal (%s); entries are only queued until it can\n",
                             std::strerror(errno));
            journal_failing_ = !ok;
        }
        queue_.push_back(std::move(entry));
        ++enqueued_;
        wake = writer_idle_;
        writer_idle_ = false;
    }
    // Only an idle writer needs waking (one wake per transaction, not per request): under load it
    // is still writing the previous batch and takes this one next. It used to wait up to 200 ms
    // for a batch of 64, and a SIGKILL in that window lost answered requests from the log
    // (bench/reliability.py kill).
    if (wake) cv_.notify_one();
}

void RequestLog::flush() {
    std::unique_lock lock(mu_);
    auto target = enqueued_;
    flush_wanted_ = true;
    cv_.notify_one();
    flushed_cv_.wait(lock, [&] { return written_ >= target || failing_.load(); });
}

std::uint64_t RequestLog::written() const {
    std::lock_guard lock(mu_);
    return written_;
}

StoreStats RequestLog::stats() const {
    std::lock_guard lock(mu_);
    StoreStats s;
    s.kind = "sqlite";
    s.queued = enqueued_ - written_;
    s.connected = !failing_.load(std::memory_order_relaxed);
    s.written = written_ - dropped_;
    s.dropped = dropped_;
    return s;
}

void RequestLog::writer_loop() {
    std::unique_lock lock(mu_);
    auto last_batch = std::chrono::steady_clock::now();
    for (;;) {
        auto deadline = last_batch + kGroupWindow;
        if (!stopping_ && !flush_wanted_ && queue_.empty()) {
            writer_idle_ = true;
            cv_.wait(lock, [&] { return stopping_ || flush_wanted_ || !queue_.empty(); });
            writer_idle_ = false;
            deadline = std::chrono::steady_clock::now() + kGroupWindow;
        }
        // At most one transaction per window: the entries of the next moment join the first one,
        // also under steady load (each transaction costs WAL writes, file locks and two wake-ups
        // of this thread, a large share of the gateway's CPU per request). flush() and shutdown
        // do not wait.
        cv_.wait_until(lock, deadline, [&] { return stopping_ || flush_wanted_; });
        last_batch = std::chrono::steady_clock::now();
        flush_wanted_ = false;
        if (queue_.empty()) {
            flushed_cv_.notify_all();
            if (stopping_) return;
            continue;
        }
        std::vector<RequestLogEntry> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.clear();
        journal_->swap();   // appends from now on go to the other segment
        lock.unlock();
        std::string error;
        try {
            write_batch(batch);
        } catch (const std::exception& e) {
            error = e.what();
            sqlite3_exec(write_db_, "ROLLBACK", nullptr, nullptr, nullptr);  // leave no transaction open
        }
        lock.lock();
        if (!error.empty() && !stopping_) {
            // Disk full or an I/O error: keep the entries and retry each second. Meanwhile
            // failing() makes the server refuse new requests, so none is answered unlogged
            // (bench/reliability.py diskfull lost 362 of 400 before).
            if (!failing_.exchange(true))
                std::fprintf(stderr, "switchyard: %s; keeping %zu log entries and retrying every second; new requests get 503 until the log can be written\n",
                             error.c_str(), batch.size());
            queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
            flushed_cv_.notify_all();  // flush() gives up while failing
            cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
            continue;
        }
        if (!error.empty()) {
            std::fprintf(stderr, "switchyard: %s (%zu log entries lost at shutdown)\n", error.c_str(), batch.size());
            dropped_ += batch.size();
        }
        else {
            journal_->release();   // every entry of the inactive segment is committed
            if (failing_.exchange(false)) std::fprintf(stderr, "switchyard: request log writable again\n");
        }
        written_ += batch.size();
        flushed_cv_.notify_all();
    }
}

void RequestLog::write_batch(std::vector<RequestLogEntry>& batch) {
    check(write_db_, sqlite3_exec(write_db_, "BEGIN", nullptr, nullptr, nullptr), "begin");
    // Prepared once (by the writer thread, its only user): preparing a 23-column INSERT cost
    // about as much as writing a small batch.
    if (!insert_) {
        const std::string sql = std::string("INSERT OR REPLACE INTO requests (") + kColumns +
                                ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        check(write_db_, sqlite3_prepare_v3(write_db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &insert_, nullptr), "prepare");
    }
    sqlite3_stmt* s = insert_;
    auto text = [s](int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_STATIC); };
    for (const auto& e : batch) {
        sqlite3_reset(s);
        text(1, e.id); sqlite3_bind_double(s, 2, e.ts); text(3, e.api_key); text(4, e.endpoint);
        text(5, e.model_requested); text(6, e.model); text(7, e.route); text(8, e.trace);
        text(9, e.models_tried); sqlite3_bind_int64(s, 10, e.escalations); text(11, e.task_class); sqlite3_bind_int64(s, 12, e.status);
        sqlite3_bind_int64(s, 13, e.prompt_tokens); sqlite3_bind_int64(s, 14, e.completion_tokens); sqlite3_bind_int64(s, 15, e.cached_tokens);
        sqlite3_bind_double(s, 16, e.latency_ms); sqlite3_bind_double(s, 17, e.ttft_ms); sqlite3_bind_double(s, 18, e.cost); text(19, e.finish_reason);
        text(20, e.error); text(21, e.prompt); text(22, e.answer); text(23, e.tier);
        const int rc = sqlite3_step(s);   // SQLITE_STATIC: the entry outlives the step
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) sqlite3_clear_bindings(s);
        check(write_db_, rc, "step");
    }
    sqlite3_clear_bindings(s);   // no pointers into the batch stay bound after it is gone
    check(write_db_, sqlite3_exec(write_db_, "COMMIT", nullptr, nullptr, nullptr), "commit");
}

std::vector<RequestLogEntry> RequestLog::query(const LogFilter& f) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM requests WHERE ts >= ?1";
    if (f.status) sql += " AND status = ?2";
    if (!f.model.empty()) sql += " AND (model = ?3 OR model_requested = ?3)";
    if (!f.route.empty()) sql += " AND route = ?4";
    if (f.errors_only) sql += " AND status >= 400";
    sql += " ORDER BY ts DESC LIMIT ?5";
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, sql);
    st.real(1, f.since);
    if (f.status) st.integer(2, *f.status);
    if (!f.model.empty()) st.text(3, f.model);
    if (!f.route.empty()) st.text(4, f.route);
    st.integer(5, f.limit);
    std::vector<RequestLogEntry> out;
    while (st.step()) out.push_back(read_entry(st));
    return out;
}

std::optional<RequestLogEntry> RequestLog::find(const std::string& id) {
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, std::string("SELECT ") + kColumns + " FROM requests WHERE id = ?1");
    st.text(1, id);
    if (!st.step()) return std::nullopt;
    return read_entry(st);
}

void RequestLog::add_feedback(const Feedback& fb) {
    flush();  // the request may still be in the queue
    if (!find(fb.request_id)) throw std::invalid_argument("unknown request_id '" + fb.request_id + "'");
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, "INSERT INTO feedback (request_id, ts, rating, correction) VALUES (?1, ?2, ?3, ?4)");
    st.text(1, fb.request_id);
    st.real(2, fb.ts > 0 ? fb.ts : static_cast<double>(std::time(nullptr)));
    st.text(3, fb.rating);
    st.text(4, fb.correction);
    st.step();
}

std::vector<Feedback> RequestLog::feedback_for(const std::string& request_id) {
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, "SELECT request_id, ts, rating, correction FROM feedback WHERE request_id = ?1 ORDER BY ts");
    st.text(1, request_id);
    std::vector<Feedback> out;
    while (st.step()) out.push_back({st.col_text(0), sqlite3_column_double(st.s, 1), st.col_text(2), st.col_text(3)});
    return out;
}

std::vector<std::pair<RequestLogEntry, Feedback>> RequestLog::corrections() {
    std::lock_guard lock(read_mu_);
    // The join needs the column list with a table prefix.
    std::string cols;
    std::string all = kColumns;
    for (std::size_t pos = 0; pos < all.size();) {
        auto comma = all.find(',', pos);
        std::string c = all.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        while (!c.empty() && c.front() == ' ') c.erase(c.begin());
        cols += (cols.empty() ? "" : ", ") + std::string("r.") + c;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    Stmt st(read_db_, "SELECT " + cols + ", f.ts, f.rating, f.correction FROM feedback f JOIN requests r ON r.id = f.request_id "
                      "WHERE f.rating = 'down' AND f.correction IS NOT NULL AND f.correction != '' ORDER BY f.ts");
    std::vector<std::pair<RequestLogEntry, Feedback>> out;
    while (st.step()) {
        auto e = read_entry(st);
        // Feedback columns follow the request's (kColumnCount of them).
        Feedback fb{e.id, sqlite3_column_double(st.s, kColumnCount), st.col_text(kColumnCount + 1), st.col_text(kColumnCount + 2)};
        out.emplace_back(std::move(e), std::move(fb));
    }
    return out;
}

double RequestLog::spend_since(const std::string& api_key, double since) {
    flush();
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, "SELECT COALESCE(SUM(cost), 0) FROM requests WHERE api_key = ?1 AND ts >= ?2");
    st.text(1, api_key);
    st.real(2, since);
    return st.step() ? sqlite3_column_double(st.s, 0) : 0;
}

void RequestLog::record_bump(const BumpRecord& b) {
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, "INSERT INTO tier_bumps (route, task_class, from_tier, to_tier, down_rate, ratings, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    st.text(1, b.route); st.text(2, b.task_class); st.text(3, b.from_tier); st.text(4, b.to_tier);
    st.real(5, b.down_rate); st.integer(6, b.ratings); st.real(7, b.ts);
    st.step();
}

int RequestLog::reset_bumps(const std::string& route, const std::string& task_class, double ts) {
    std::lock_guard lock(read_mu_);
    Stmt st(read_db_, "UPDATE tier_bumps SET reset_ts = ?1 WHERE reset_ts IS NULL AND (?2 = '' OR route = ?2) AND (?3 = '' OR task_class = ?3)");
    st.real(1, ts); st.text(2, route); st.text(3, task_class);
    st.step();
    return sqlite3_changes(read_db_);
}

std::vector<BumpRecord> RequestLog::bumps(bool active_only) {
    std::lock_guard lock(read_mu_);
    std::string sql = "SELECT route, task_class, from_tier, to_tier, down_rate, ratings, ts, COALESCE(reset_ts, 0) FROM tier_bumps";
    if (active_only) sql += " WHERE reset_ts IS NULL";
    Stmt st(read_db_, sql + " ORDER BY ts");
    std::vector<BumpRecord> out;
    while (st.step()) {
        BumpRecord b{st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3),
                     sqlite3_column_double(st.s, 4), sqlite3_column_int(st.s, 5), sqlite3_column_double(st.s, 6),
                     sqlite3_column_double(st.s, 7)};
        out.push_back(std::move(b));
    }
    return out;
}

LogStats RequestLog::log_stats(double since, int max_samples) {
    flush();   // a request that just ended may still be queued
    return read_log_stats(path_, since, max_samples);
}

}  // namespace switchyard
