// libpq, wrapped for the PostgreSQL store: a connection that runs parameterised statements and
// throws PgError (saying whether the connection itself was lost), and a bounded pool of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;
struct pg_result;

namespace switchyard {

struct PgError : std::runtime_error {
    PgError(const std::string& what, bool lost) : std::runtime_error(what), connection_lost(lost) {}
    bool connection_lost;  // the server went away: retry on a new connection
};

// A query result; rows and columns are read as text.
class PgResult {
public:
    explicit PgResult(pg_result* r) : r_(r) {}
    PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    PgResult(const PgResult&) = delete;
    ~PgResult();
    int rows() const;
    std::string text(int row, int col) const;
    double real(int row, int col) const;
    long long integer(int row, int col) const;
    int affected() const;  // rows changed by an UPDATE/INSERT/DELETE

private:
    pg_result* r_;
};

class PgConn {
public:
    // Connects (5 s connect timeout unless the URL sets one); throws PgError with a message that
    // names the server but never the password.
    explicit PgConn(const std::string& url);
    ~PgConn();
    PgConn(const PgConn&) = delete;
    PgConn& operator=(const PgConn&) = delete;
    PgResult exec(const std::string& sql, const std::vector<std::string>& params = {});
    bool ok() const;  // still connected

private:
    pg_conn* c_ = nullptr;
};

// The URL without its password, for messages and logs.
std::string redact_url(const std::string& url);
// Text for a double parameter, exact (round-trips).
std::string pg_num(double v);

// At most `size` connections, opened on demand; a caller waits up to `wait` for a free one.
class PgPool {
public:
    PgPool(std::string url, int size, std::chrono::milliseconds wait);
    ~PgPool();

    class Lease {
    public:
        Lease(PgPool* pool, std::unique_ptr<PgConn> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&&) = default;
        ~Lease();
        PgConn& operator*() { return *conn_; }
        PgConn* operator->() { return conn_.get(); }
    private:
        PgPool* pool_;
        std::unique_ptr<PgConn> conn_;
    };
    Lease acquire();  // throws PgError when none frees up in time or the server is unreachable

    // Runs f(PgConn&); when the connection was lost, once more on a fresh one. Only for
    // statements that are safe to repeat (reads, idempotent writes).
    template <class F>
    auto with_retry(F&& f) {
        try {
            auto lease = acquire();
            return f(*lease);
        } catch (const PgError& e) {
            if (!e.connection_lost) throw;
        }
        auto lease = acquire();
        return f(*lease);
    }
    int open() const;

private:
    void release(std::unique_ptr<PgConn> conn);
    std::string url_;
    int size_;
    std::chrono::milliseconds wait_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<PgConn>> idle_;
    int open_ = 0;
};

}  // namespace switchyard
