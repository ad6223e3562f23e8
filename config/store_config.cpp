// The `store:` section: which database holds the request log, feedback, bumps and spend.
#include "config/yaml_support.h"

#include <cstdlib>

namespace switchyard {

void parse_store(const YamlCtx& c, const YAML::Node& n, StoreSpec& s) {
    c.only_keys(n, "store", {"kind", "url", "url_env", "pool_size", "max_queue", "sync_interval_ms", "pool_timeout_ms"});
    if (n["kind"]) {
        auto k = c.get<std::string>(n["kind"], "store.kind", "sqlite or postgres");
        if (k == "sqlite") s.kind = StoreSpec::Kind::sqlite;
        else if (k == "postgres" || k == "postgresql") s.kind = StoreSpec::Kind::postgres;
        else c.fail(n["kind"], "store.kind", "expected sqlite or postgres, got '" + k + "'");
    }
    if (n["url"] && n["url_env"]) c.fail(n, "store", "set url or url_env, not both");
    if (n["url"]) s.url = c.get<std::string>(n["url"], "store.url", "a PostgreSQL connection URI");
    if (n["url_env"]) {
        // The URL usually carries a password: deployments pass it in the environment (a Secret).
        auto var = c.get<std::string>(n["url_env"], "store.url_env", "an environment variable name");
        const char* v = std::getenv(var.c_str());
        if (!v || !*v) c.fail(n["url_env"], "store.url_env", "environment variable " + var + " is not set");
        s.url = v;
    }
    if (s.kind == StoreSpec::Kind::postgres && s.url.empty()) c.fail(n, "store", "kind postgres needs url or url_env");
    if (s.kind == StoreSpec::Kind::sqlite && !s.url.empty()) c.fail(n, "store", "url is for kind postgres; sqlite uses log.path");
    if (n["pool_size"]) s.pool_size = c.get_int(n["pool_size"], "store.pool_size", 1, 256);
    if (n["max_queue"]) s.max_queue = c.get_int(n["max_queue"], "store.max_queue", 100, 10000000);
    if (n["sync_interval_ms"]) s.sync_interval_ms = c.get_int(n["sync_interval_ms"], "store.sync_interval_ms", 10, 600000);
    if (n["pool_timeout_ms"]) s.pool_timeout_ms = c.get_int(n["pool_timeout_ms"], "store.pool_timeout_ms", 10, 600000);
}

}  // namespace switchyard
