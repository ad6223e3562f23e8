#include "store/sqlite_db.h"

#include <stdexcept>

namespace switchyard::sqlite {

void check(sqlite3* db, int rc, const char* who, const std::string& what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        throw std::runtime_error(std::string(who) + ": " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

sqlite3* open(const std::filesystem::path& file, const char* who, const char* schema) {
    sqlite3* db = nullptr;
    // FULLMUTEX: a store's connection may be used from several threads (each store also holds
    // its own lock around multi-statement work).
    int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        throw std::runtime_error(std::string(who) + ": cannot open " + file.string() + ": " + msg);
    }
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    if (schema && sqlite3_exec(db, schema, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        sqlite3_close(db);
        throw std::runtime_error(std::string(who) + ": cannot initialise " + file.string() + ": " + msg);
    }
    return db;
}

Stmt::Stmt(sqlite3* d, const std::string& sql, const char* owner) : db(d), who(owner) {
    check(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), who, "prepare");
}

bool Stmt::step() {
    int rc = sqlite3_step(s);
    check(db, rc, who, "step");
    return rc == SQLITE_ROW;
}

std::string Stmt::col_text(int i) const {
    auto* t = sqlite3_column_text(s, i);
    return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace switchyard::sqlite
