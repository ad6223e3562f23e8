#include "store/pg_conn.h"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <regex>

namespace switchyard {

PgResult::~PgResult() { PQclear(r_); }
int PgResult::rows() const { return PQntuples(r_); }
std::string PgResult::text(int row, int col) const {
    if (PQgetisnull(r_, row, col)) return "";
    return std::string(PQgetvalue(r_, row, col), PQgetlength(r_, row, col));
}
double PgResult::real(int row, int col) const { return PQgetisnull(r_, row, col) ? 0 : std::strtod(PQgetvalue(r_, row, col), nullptr); }
long long PgResult::integer(int row, int col) const { return PQgetisnull(r_, row, col) ? 0 : std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
int PgResult::affected() const { return std::atoi(PQcmdTuples(r_)); }

std::string redact_url(const std::string& url) {
    // postgresql://user:secret@host/db  and  password=secret
    static const std::regex uri(R"(^(postgres(?:ql)?://[^:/@]*):[^@]*@)");
    static const std::regex kv(R"(password\s*=\s*('[^']*'|\S+))");
    std::string out = std::regex_replace(url, uri, "$1:***@");
    return std::regex_replace(out, kv, "password=***");
}

std::string pg_num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

PgConn::PgConn(const std::string& url) {
    // Keywords before dbname are defaults that the URL (expanded from dbname) may override.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"5", "switchyard", url.c_str(), nullptr};
    c_ = PQconnectdbParams(keys, values, 1);
    if (!c_ || PQstatus(c_) != CONNECTION_OK) {
        std::string msg = c_ ? PQerrorMessage(c_) : "out of memory";
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        PQfinish(c_);
        c_ = nullptr;
        throw PgError("cannot connect to PostgreSQL at " + redact_url(url) + ": " + msg, true);
    }
    // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
    PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
}

PgConn::~PgConn() { PQfinish(c_); }

bool PgConn::ok() const { return c_ && PQstatus(c_) == CONNECTION_OK; }

PgResult PgConn::exec(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    // Without parameters PQexec also takes several statements (migrations).
    pg_result* raw = values.empty() ? PQexec(c_, sql.c_str())
                                    : PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    PgResult r(raw);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string msg = PQerrorMessage(c_);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        throw PgError("PostgreSQL: " + msg, PQstatus(c_) != CONNECTION_OK);
    }
    return r;
}

PgPool::PgPool(std::string url, int size, std::chrono::milliseconds wait) : url_(std::move(url)), size_(size), wait_(wait) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
    if (conn_) pool_->release(std::move(conn_));
}

PgPool::Lease PgPool::acquire() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait_, [&] { return !idle_.empty() || open_ < size_; }))
        throw PgError("all " + std::to_string(size_) + " PostgreSQL connections stayed busy for " + std::to_string(wait_.count()) + " ms", false);
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, std::make_unique<PgConn>(url_));
    } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
    }
}

void PgPool::release(std::unique_ptr<PgConn> conn) {
    std::lock_guard lock(mu_);
    if (conn->ok()) idle_.push_back(std::move(conn));
    else --open_;  // broken: the next caller opens a fresh one
    cv_.notify_one();
}

int PgPool::open() const {
    std::lock_guard lock(mu_);
    return open_;
}

}  // namespace switchyard
