#include "store/open_store.h"

#include "store/pg_store.h"
#include "store/request_log.h"

namespace switchyard {

std::unique_ptr<Store> open_store(const Config& cfg) {
    if (cfg.store.kind == StoreSpec::Kind::postgres) return std::make_unique<PgStore>(cfg.store);
    if (!cfg.log_path.empty()) return std::make_unique<RequestLog>(cfg.log_path);
    return nullptr;
}

}  // namespace switchyard
