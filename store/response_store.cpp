#include "store/response_store.h"

#include "store/sqlite_db.h"

namespace switchyard {

namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY, ts REAL NOT NULL, api_key TEXT, session TEXT, messages TEXT NOT NULL, response TEXT NOT NULL);
)sql";

constexpr const char* kWho = "response store";

struct Stmt : sqlite::Stmt {
    Stmt(sqlite3* d, const std::string& sql) : sqlite::Stmt(d, sql, kWho) {}
};

}  // namespace

ResponseStore::ResponseStore(const std::filesystem::path& file, std::size_t memory_limit) : memory_limit_(memory_limit) {
    if (file.empty()) return;
    db_ = sqlite::open(file, kWho, kSchema);
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
    r.id = st.col_text(0);
    r.ts = sqlite3_column_double(st.s, 1);
    r.api_key = st.col_text(2);
    r.session = st.col_text(3);
    r.messages = st.col_text(4);
    r.response = st.col_text(5);
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
