// What the SQLite stores (request_log, response_store, cache_store) share: opening a database
// file with the schema of its tables, and a prepared statement whose errors throw. `who` starts
// every message ("request log: step: database is locked"), so an error names the store.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace switchyard::sqlite {

// Throws std::runtime_error("<who>: <what>: <SQLite's message>") unless rc is OK, ROW or DONE.
void check(sqlite3* db, int rc, const char* who, const std::string& what);

// Opens `file` (created if missing; its folder must exist) in serialized mode with a 5 s busy
// timeout, then runs `schema` (pragmas and CREATE ... IF NOT EXISTS statements) unless null.
// Throws std::runtime_error "<who>: cannot open <file>: ..." or "<who>: cannot initialise
// <file>: ..."; nothing is left open then.
sqlite3* open(const std::filesystem::path& file, const char* who, const char* schema);

// A prepared statement, finalized when it goes out of scope. Text is bound as a copy.
struct Stmt {
    sqlite3* db;
    const char* who;
    sqlite3_stmt* s = nullptr;
    Stmt(sqlite3* d, const std::string& sql, const char* owner);
    ~Stmt() { sqlite3_finalize(s); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    void real(int i, double v) { sqlite3_bind_double(s, i, v); }
    void integer(int i, long long v) { sqlite3_bind_int64(s, i, v); }
    // true while there is a row to read
    bool step();
    std::string col_text(int i) const;
};

}  // namespace switchyard::sqlite
