// Opens the store the config asks for: PostgreSQL when store.kind is postgres, else the SQLite
// file at log.path, else none (nullptr).
#pragma once

#include "config/config.h"
#include "store/store.h"

#include <memory>

namespace switchyard {

std::unique_ptr<Store> open_store(const Config& cfg);

}  // namespace switchyard
