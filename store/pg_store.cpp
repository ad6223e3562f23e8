#include "store/pg_store.h"

#include "store/pg_schema.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>

namespace switchyard {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kColumns =
    "id, ts, api_key, endpoint, model_requested, model, route, trace, models_tried, escalations, task_class, status, "
    "prompt_tokens, completion_tokens, cached_tokens, latency_ms, ttft_ms, cost, finish_reason, error, prompt, answer, tier";
constexpr int kColumnCount = 23;

std::string columns_with(const std::string& prefix) {
    std::string out, all = kColumns;
    std::size_t pos = 0;
    while (pos < all.size()) {
        auto comma = all.find(", ", pos);
        out += (out.empty() ? "" : ", ") + prefix + all.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (comma == std::string::npos) break;
        pos = comma + 2;
    }
    return out;
}

std::vector<std::string> entry_params(const RequestLogEntry& e) {
    return {e.id, pg_num(e.ts), e.api_key, e.endpoint, e.model_requested, e.model, e.route, e.trace, e.models_tried,
            std::to_string(e.escalations), e.task_class, std::to_string(e.status), std::to_string(e.prompt_tokens),
            std::to_string(e.completion_tokens), std::to_string(e.cached_tokens), pg_num(e.latency_ms), pg_num(e.ttft_ms),
            pg_num(e.cost), e.finish_reason, e.error, e.prompt, e.answer, e.tier};
}

RequestLogEntry read_entry(const PgResult& r, int row) {
    RequestLogEntry e;
    e.id = r.text(row, 0);
    e.ts = r.real(row, 1);
    e.api_key = r.text(row, 2);
    e.endpoint = r.text(row, 3);
    e.model_requested = r.text(row, 4);
    e.model = r.text(row, 5);
    e.route = r.text(row, 6);
    e.trace = r.text(row, 7);
    e.models_tried = r.text(row, 8);
    e.escalations = static_cast<int>(r.integer(row, 9));
    e.task_class = r.text(row, 10);
    e.status = static_cast<int>(r.integer(row, 11));
    e.prompt_tokens = static_cast<int>(r.integer(row, 12));
    e.completion_tokens = static_cast<int>(r.integer(row, 13));
    e.cached_tokens = static_cast<int>(r.integer(row, 14));
    e.latency_ms = r.real(row, 15);
    e.ttft_ms = r.real(row, 16);
    e.cost = r.real(row, 17);
    e.finish_reason = r.text(row, 18);
    e.error = r.text(row, 19);
    e.prompt = r.text(row, 20);
    e.answer = r.text(row, 21);
    e.tier = r.text(row, 22);
    return e;
}

std::string insert_entry_sql() {
    std::string sql = std::string("INSERT INTO requests (") + kColumns + ") VALUES (";
    for (int i = 1; i <= kColumnCount; ++i) sql += (i > 1 ? ",$" : "$") + std::to_string(i);
    // A batch retried after a lost commit acknowledgement must not fail or duplicate.
    return sql + ") ON CONFLICT (id) DO NOTHING";
}

// One event per priced call; only a newly inserted event adds to the key's day.
constexpr const char* kInsertSpend = R"sql(
WITH ev AS (INSERT INTO spend_events (id, api_key, ts, amount) VALUES ($1, $2, $3, $4)
            ON CONFLICT (id) DO NOTHING RETURNING api_key, ts, amount)
INSERT INTO spend_daily (api_key, day, amount) SELECT api_key, floor(ts / 86400) * 86400, amount FROM ev
ON CONFLICT (api_key, day) DO UPDATE SET amount = spend_daily.amount + EXCLUDED.amount)sql";

std::string event_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
    return buf;
}

}  // namespace

PgStore::PgStore(const StoreSpec& spec)
    : where_(redact_url(spec.url)),
      url_(spec.url),
      max_queue_(static_cast<std::size_t>(spec.max_queue)),
      flush_wait_(spec.pool_timeout_ms),
      pool_(spec.url, spec.pool_size, std::chrono::milliseconds(spec.pool_timeout_ms)) {
    try {
        writer_conn_ = std::make_unique<PgConn>(url_);
        pg_migrate(*writer_conn_, where_);
    } catch (const PgError& e) {
        throw std::runtime_error(std::string("store: ") + e.what());
    }
    writer_ = std::thread([this] { writer_loop(); });
}

PgStore::~PgStore() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
}

void PgStore::record(RequestLogEntry entry) {
    bool wake;
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(entry));
        ++enqueued_;
        if (queue_.size() + spend_queue_.size() > max_queue_) drop_oldest_locked();
        wake = queue_.size() == kBatch;
    }
    if (wake) cv_.notify_one();
}

void PgStore::add_spend(const std::string& api_key, double ts, double amount) {
    if (amount <= 0) return;
    bool wake;
    {
        std::lock_guard lock(mu_);
        wake = spend_queue_.empty();
        spend_queue_.push_back({event_id(), api_key, ts, amount});
        ++enqueued_;
        if (queue_.size() + spend_queue_.size() > max_queue_) drop_oldest_locked();
    }
    // Spend is what other replicas enforce limits with: store it without waiting for a batch.
    if (wake) cv_.notify_one();
}

// Log lines go first: the spend counter is what enforces limits across replicas.
void PgStore::drop_oldest_locked() {
    std::uint64_t before = dropped_;
    while (queue_.size() + spend_queue_.size() > max_queue_) {
        if (!queue_.empty()) queue_.pop_front();
        else spend_queue_.pop_front();
        ++dropped_;
    }
    // Reported at the first drop and then every 1000, so a long outage does not flood stderr.
    if (before == 0 || before / 1000 != dropped_ / 1000)
        std::fprintf(stderr, "switchyard: store: PostgreSQL at %s unreachable and %zu writes queued: dropped %llu so far\n",
                     where_.c_str(), max_queue_, static_cast<unsigned long long>(dropped_));
}

void PgStore::flush() {
    std::unique_lock lock(mu_);
    auto target = enqueued_;
    flush_target_ = std::max(flush_target_, target);
    cv_.notify_one();
    if (!flushed_cv_.wait_for(lock, flush_wait_, [&] { return written_ + dropped_ >= target; }))
        throw std::runtime_error("store: PostgreSQL at " + where_ + " is unavailable; " +
                                 std::to_string(queue_.size() + spend_queue_.size()) + " writes are queued and retried");
}

std::uint64_t PgStore::written() const {
    std::lock_guard lock(mu_);
    return written_;
}

bool PgStore::failing() const {
    std::lock_guard lock(mu_);
    return !connected_ && queue_.size() + spend_queue_.size() >= max_queue_;
}

StoreStats PgStore::stats() const {
    std::lock_guard lock(mu_);
    StoreStats s;
    s.kind = "postgres";
    // The batch the writer holds (being written or waiting to retry) is not stored yet either.
    s.queued = queue_.size() + spend_queue_.size() + in_flight_;
    s.written = written_;
    s.dropped = dropped_;
    s.retries = retries_;
    s.connected = connected_;
    return s;
}

void PgStore::writer_loop() {
    auto backoff = std::chrono::milliseconds(50);
    std::optional<Clock::time_point> give_up;  // set at shutdown: retry for 10 s, then report
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait_for(lock, std::chrono::milliseconds(200), [&] {
            return stopping_ || written_ + dropped_ < flush_target_ || queue_.size() >= kBatch || !spend_queue_.empty();
        });
        if (stopping_ && !give_up) give_up = Clock::now() + std::chrono::seconds(10);
        if (queue_.empty() && spend_queue_.empty()) {
            flushed_cv_.notify_all();
            if (stopping_) return;
            continue;
        }
        Batch batch;
        while (!queue_.empty() && batch.entries.size() < kMaxBatch) { batch.entries.push_back(std::move(queue_.front())); queue_.pop_front(); }
        while (!spend_queue_.empty() && batch.spend.size() < kMaxBatch) { batch.spend.push_back(std::move(spend_queue_.front())); spend_queue_.pop_front(); }
        in_flight_ = batch.size();
        lock.unlock();
        std::size_t failed = 0;
        bool stored = false;
        std::string error;
        try {
            if (!writer_conn_ || !writer_conn_->ok()) writer_conn_ = std::make_unique<PgConn>(url_);
            try {
                write_batch(*writer_conn_, batch);
            } catch (const PgError& e) {
                if (e.connection_lost) throw;
                failed = write_each(*writer_conn_, batch);  // a bad row must not block the rest
            }
            stored = true;
        } catch (const std::exception& e) {
            error = e.what();
            writer_conn_.reset();
        }
        lock.lock();
        in_flight_ = 0;
        if (stored) {
            written_ += batch.size() - failed;
            dropped_ += failed;
            if (!connected_) std::fprintf(stderr, "switchyard: store: PostgreSQL at %s is back; queued writes stored\n", where_.c_str());
            connected_ = true;
            backoff = std::chrono::milliseconds(50);
            flushed_cv_.notify_all();
            continue;
        }
        // Put the batch back in front, in order, and wait before retrying.
        if (connected_) std::fprintf(stderr, "switchyard: store: %s; retrying\n", error.c_str());
        connected_ = false;
        ++retries_;
        for (auto it = batch.spend.rbegin(); it != batch.spend.rend(); ++it) spend_queue_.push_front(std::move(*it));
        for (auto it = batch.entries.rbegin(); it != batch.entries.rend(); ++it) queue_.push_front(std::move(*it));
        if (queue_.size() + spend_queue_.size() > max_queue_) drop_oldest_locked();
        if (give_up && Clock::now() >= *give_up) {
            std::size_t lost = queue_.size() + spend_queue_.size();
            dropped_ += lost;
            std::fprintf(stderr, "switchyard: store: shutting down with PostgreSQL at %s unreachable: %zu writes not stored\n",
                         where_.c_str(), lost);
            queue_.clear();
            spend_queue_.clear();
            flushed_cv_.notify_all();
            return;
        }
        cv_.wait_for(lock, backoff, [&] { return false; });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
}

// One multi-row statement per kind: a round trip per row would cap the writer at a few thousand
// rows a second, below what one replica serves (bench/RESULTS.md).
void PgStore::write_batch(PgConn& conn, const Batch& batch) {
    conn.exec("BEGIN");
    try {
        if (!batch.entries.empty()) {
            std::string sql = std::string("INSERT INTO requests (") + kColumns + ") VALUES ";
            std::vector<std::string> params;
            params.reserve(batch.entries.size() * kColumnCount);
            for (std::size_t r = 0; r < batch.entries.size(); ++r) {
                sql += r ? ",(" : "(";
                for (int c = 1; c <= kColumnCount; ++c) sql += (c > 1 ? ",$" : "$") + std::to_string(r * kColumnCount + c);
                sql += ")";
                auto p = entry_params(batch.entries[r]);
                params.insert(params.end(), std::make_move_iterator(p.begin()), std::make_move_iterator(p.end()));
            }
            // A batch retried after a lost commit acknowledgement must not fail or duplicate.
            conn.exec(sql + " ON CONFLICT (id) DO NOTHING", params);
        }
        if (!batch.spend.empty()) {
            std::string values;
            std::vector<std::string> params;
            for (std::size_t r = 0; r < batch.spend.size(); ++r) {
                const auto& e = batch.spend[r];
                values += (r ? ",($" : "($") + std::to_string(r * 4 + 1) + ",$" + std::to_string(r * 4 + 2) + ",$" +
                          std::to_string(r * 4 + 3) + ",$" + std::to_string(r * 4 + 4) + ")";
                params.insert(params.end(), {e.id, e.api_key, pg_num(e.ts), pg_num(e.amount)});
            }
            // Only newly inserted events add to a key's day; keys in one order in every
            // replica's transactions, so their row locks cannot deadlock.
            conn.exec("WITH ev AS (INSERT INTO spend_events (id, api_key, ts, amount) VALUES " + values +
                          " ON CONFLICT (id) DO NOTHING RETURNING api_key, ts, amount) "
                          "INSERT INTO spend_daily (api_key, day, amount) SELECT api_key, floor(ts / 86400) * 86400 AS d, SUM(amount) "
                          "FROM ev GROUP BY api_key, d ORDER BY api_key, d "
                          "ON CONFLICT (api_key, day) DO UPDATE SET amount = spend_daily.amount + EXCLUDED.amount",
                      params);
        }
        conn.exec("COMMIT");
    } catch (const PgError& e) {
        if (!e.connection_lost) try { conn.exec("ROLLBACK"); } catch (...) {}
        throw;
    }
}

std::size_t PgStore::write_each(PgConn& conn, const Batch& batch) {
    static const std::string insert = insert_entry_sql();
    std::size_t failed = 0;
    auto one = [&](const std::string& sql, const std::vector<std::string>& params, const std::string& what) {
        try {
            conn.exec(sql, params);
        } catch (const PgError& e) {
            if (e.connection_lost) throw;
            ++failed;
            std::fprintf(stderr, "switchyard: store: %s not stored: %s\n", what.c_str(), e.what());
        }
    };
    for (const auto& e : batch.entries) one(insert, entry_params(e), "request " + e.id);
    for (const auto& s : batch.spend) one(kInsertSpend, {s.id, s.api_key, pg_num(s.ts), pg_num(s.amount)}, "spend of " + s.api_key);
    return failed;
}

std::vector<RequestLogEntry> PgStore::query(const LogFilter& f) {
    std::vector<std::string> params{pg_num(f.since)};
    std::string sql = std::string("SELECT ") + kColumns + " FROM requests WHERE ts >= $1";
    auto param = [&](const std::string& v) { params.push_back(v); return "$" + std::to_string(params.size()); };
    if (f.status) sql += " AND status = " + param(std::to_string(*f.status));
    if (!f.model.empty()) { auto p = param(f.model); sql += " AND (model = " + p + " OR model_requested = " + p + ")"; }
    if (!f.route.empty()) sql += " AND route = " + param(f.route);
    if (f.errors_only) sql += " AND status >= 400";
    sql += " ORDER BY ts DESC LIMIT " + param(std::to_string(f.limit));
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec(sql, params);
        std::vector<RequestLogEntry> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(read_entry(r, i));
        return out;
    });
}

std::optional<RequestLogEntry> PgStore::find(const std::string& id) {
    return pool_.with_retry([&](PgConn& c) -> std::optional<RequestLogEntry> {
        auto r = c.exec(std::string("SELECT ") + kColumns + " FROM requests WHERE id = $1", {id});
        if (!r.rows()) return std::nullopt;
        return read_entry(r, 0);
    });
}

void PgStore::add_feedback(const Feedback& fb) {
    flush();  // this replica may still hold the request in its queue
    // Another replica may have answered it and not written it yet: its writer stores within
    // about 200 ms, so look for a little longer before calling the id unknown.
    auto deadline = Clock::now() + std::chrono::seconds(2);
    while (!find(fb.request_id)) {
        if (Clock::now() >= deadline) throw std::invalid_argument("unknown request_id '" + fb.request_id + "'");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto lease = pool_.acquire();  // not retried: a repeated insert would count the rating twice
    lease->exec("INSERT INTO feedback (request_id, ts, rating, correction) VALUES ($1, $2, $3, $4)",
                {fb.request_id, pg_num(fb.ts > 0 ? fb.ts : static_cast<double>(std::time(nullptr))), fb.rating, fb.correction});
}

std::vector<Feedback> PgStore::feedback_for(const std::string& request_id) {
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec("SELECT request_id, ts, rating, correction FROM feedback WHERE request_id = $1 ORDER BY ts", {request_id});
        std::vector<Feedback> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.real(i, 1), r.text(i, 2), r.text(i, 3)});
        return out;
    });
}

std::vector<std::pair<RequestLogEntry, Feedback>> PgStore::corrections() {
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec("SELECT " + columns_with("r.") + ", f.ts, f.rating, f.correction FROM feedback f JOIN requests r ON r.id = f.request_id "
                        "WHERE f.rating = 'down' AND f.correction IS NOT NULL AND f.correction != '' ORDER BY f.ts");
        std::vector<std::pair<RequestLogEntry, Feedback>> out;
        for (int i = 0; i < r.rows(); ++i) {
            auto e = read_entry(r, i);
            Feedback fb{e.id, r.real(i, kColumnCount), r.text(i, kColumnCount + 1), r.text(i, kColumnCount + 2)};
            out.emplace_back(std::move(e), std::move(fb));
        }
        return out;
    });
}

double PgStore::spend_since(const std::string& api_key, double since) {
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec("SELECT COALESCE(SUM(amount), 0) FROM spend_daily WHERE api_key = $1 AND day >= floor($2::float8 / 86400) * 86400",
                        {api_key, pg_num(since)});
        return r.real(0, 0);
    });
}

void PgStore::record_bump(const BumpRecord& b) {
    auto lease = pool_.acquire();
    lease->exec("INSERT INTO tier_bumps (route, task_class, from_tier, to_tier, down_rate, ratings, ts) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                {b.route, b.task_class, b.from_tier, b.to_tier, pg_num(b.down_rate), std::to_string(b.ratings), pg_num(b.ts)});
}

int PgStore::reset_bumps(const std::string& route, const std::string& task_class, double ts) {
    auto lease = pool_.acquire();
    lease->exec("BEGIN");
    try {
        auto r = lease->exec("UPDATE tier_bumps SET reset_ts = $1 WHERE reset_ts IS NULL AND ($2::text = '' OR route = $2) AND ($3::text = '' OR task_class = $3)",
                             {pg_num(ts), route, task_class});
        lease->exec("INSERT INTO bump_resets (route, task_class, ts) VALUES ($1, $2, $3)", {route, task_class, pg_num(ts)});
        lease->exec("COMMIT");
        return r.affected();
    } catch (const PgError& e) {
        if (!e.connection_lost) try { lease->exec("ROLLBACK"); } catch (...) {}
        throw;
    }
}

std::vector<BumpRecord> PgStore::bumps(bool active_only) {
    std::string sql = "SELECT route, task_class, from_tier, to_tier, down_rate, ratings, ts, COALESCE(reset_ts, 0) FROM tier_bumps";
    if (active_only) sql += " WHERE reset_ts IS NULL";
    sql += " ORDER BY ts";
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec(sql);
        std::vector<BumpRecord> out;
        for (int i = 0; i < r.rows(); ++i)
            out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.real(i, 4),
                           static_cast<int>(r.integer(i, 5)), r.real(i, 6), r.real(i, 7)});
        return out;
    });
}

std::vector<bool> PgStore::recent_ratings(const std::string& route, const std::string& task_class, const std::string& tier, int n) {
    return pool_.with_retry([&](PgConn& c) {
        auto r = c.exec(R"sql(
SELECT f.rating = 'down' FROM feedback f JOIN requests r ON r.id = f.request_id
WHERE r.route = $1 AND r.task_class = $2 AND r.tier = $3
  AND f.ts > COALESCE((SELECT MAX(ts) FROM bump_resets
                       WHERE (route = '' OR route = $1) AND (task_class = '' OR task_class = $2)), 0)
ORDER BY f.ts DESC LIMIT $4)sql",
                        {route, task_class, tier, std::to_string(n)});
        std::vector<bool> out;
        for (int i = r.rows() - 1; i >= 0; --i) out.push_back(r.text(i, 0) == "t");
        return out;
    });
}

}  // namespace switchyard
