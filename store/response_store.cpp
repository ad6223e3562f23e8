#include "store/response_store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace switchyard {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY, ts REAL NOT NULL, api_key TEXT, session TEXT, messages TEXT NOT NULL, response TEXT NOT NULL);
)sql";

void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(std::string("response store: ") + what + ": " + sqlite3_errmsg(db));
}

struct Stmt {
    sqlite3* db;
    sqlite3_stmt* s = nullptr;
    Stmt(sqlite3* d, const char* sql) : db(d) { check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), "prepare"); }
    ~Stmt() { sqlite3_finalize(s); }
    void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    bool step() {
        int rc = sqlite3_step(s);
        check(db, rc, "step");
        return rc == SQLITE_ROW;
    }
    std::string col(int i) const {
        auto* t = sqlite3_column_text(s, i);
        return t ? reinterpret_cast<const char*>(t) : "";
    }
};

}  // namespace

ResponseStore::ResponseStore(const std::filesystem::path& file, std::size_t memory_limit) : memory_limit_(memory_limit) {
    if (file.empty()) return;
    int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw std::runtime_error("response store: cannot open " + file.string() + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    char* err = nullptr;
    if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        sqlite3_close(db_);
        throw std::runtime_error("response store: cannot create its table in " + file.string() + ": " + msg);
    }
}

ResponseStore::~ResponseStore() {
    if (db_) sqlite3_close(db_);
}

void ResponseStore::put(const StoredResponse& r) {
    std::lock_guard lock(mu_);
    if (!db_) {
        if (!memory_.count(r.id)) order_.push_back(r.id);
        memory_[r.id] = r;
        while (order_.size() > memory_limit_) {
            memory_.erase(order_.front());
            order_.pop_front();
        }
        return;
    }
    Stmt st(db_, "INSERT OR REPLACE INTO responses (id, ts, api_key, session, messages, response) VALUES (?, ?, ?, ?, ?, ?)");
    st.text(1, r.id);
    sqlite3_bind_double(st.s, 2, r.ts);
    st.text(3, r.api_key);
    st.text(4, r.session);
    st.text(5, r.messages);
    st.text(6, r.response);
    st.step();
}

std::optional<StoredResponse> ResponseStore::get(const std::string& id) {
    std::lock_guard lock(mu_);
    if (!db_) {
        auto it = memory_.find(id);
        if (it == memory_.end()) return std::nullopt;
        return it->second;
    }
    Stmt st(db_, "SELECT id, ts, api_key, session, messages, response FROM responses WHERE id = ?");
    st.text(1, id);
    if (!st.step()) return std::nullopt;
    StoredResponse r;
    r.id = st.col(0);
    r.ts = sqlite3_column_double(st.s, 1);
    r.api_key = st.col(2);
    r.session = st.col(3);
    r.messages = st.col(4);
    r.response = st.col(5);
    return r;
}

bool ResponseStore::remove(const std::string& id) {
    std::lock_guard lock(mu_);
    if (!db_) {
        if (!memory_.erase(id)) return false;
        std::erase(order_, id);
        return true;
    }
    Stmt st(db_, "DELETE FROM responses WHERE id = ?");
    st.text(1, id);
    st.step();
    return sqlite3_changes(db_) > 0;
}

}  // namespace switchyard
