// Schema migrations of the PostgreSQL store. The database records its version in
// switchyard_schema; start-up applies the missing steps in one transaction under an advisory
// lock (replicas starting together migrate once), and refuses a database newer than the binary.
#pragma once

#include "store/pg_conn.h"

namespace switchyard {

inline constexpr int kPgSchemaVersion = 2;

// Brings the database to kPgSchemaVersion; returns the version it found (0 = empty). Throws
// std::runtime_error when the database's version is newer than this binary knows.
int pg_migrate(PgConn& conn, const std::string& where);

}  // namespace switchyard
