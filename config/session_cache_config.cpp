// Parses `sessions:` and `cache:`.
#include "config/yaml_support.h"

namespace switchyard {

void parse_sessions_and_cache(const YamlCtx& c, const YAML::Node& root, Config& cfg) {
    auto duration = [&](const YAML::Node& n, const std::string& path) {
        try {
            return parse_duration(c.get<std::string>(n, path, "a duration"));
        } catch (const std::invalid_argument& e) {
            c.fail(n, path, e.what());
        }
    };
    if (const auto& s = root["sessions"]) {
        c.only_keys(s, "sessions", {"enabled", "ttl", "max_sessions"});
        if (s["enabled"]) cfg.sessions.enabled = c.get<bool>(s["enabled"], "sessions.enabled", "true or false");
        if (s["ttl"]) cfg.sessions.ttl = duration(s["ttl"], "sessions.ttl");
        if (s["max_sessions"]) cfg.sessions.max_sessions = static_cast<std::size_t>(c.get_int(s["max_sessions"], "sessions.max_sessions", 1, 10000000));
    }
    if (const auto& k = root["cache"]) {
        c.only_keys(k, "cache", {"enabled", "ttl", "max_entries", "max_bytes", "deterministic_only"});
        cfg.cache.enabled = true;
        if (k["enabled"]) cfg.cache.enabled = c.get<bool>(k["enabled"], "cache.enabled", "true or false");
        if (k["ttl"]) cfg.cache.ttl = duration(k["ttl"], "cache.ttl");
        if (k["max_entries"]) cfg.cache.max_entries = static_cast<std::size_t>(c.get_int(k["max_entries"], "cache.max_entries", 1, 10000000));
        if (k["max_bytes"]) {
            try {
                cfg.cache.max_bytes = parse_bytes(c.get<std::string>(k["max_bytes"], "cache.max_bytes", "a size"));
            } catch (const std::invalid_argument& e) {
                c.fail(k["max_bytes"], "cache.max_bytes", e.what());
            }
        }
        if (k["deterministic_only"]) cfg.cache.deterministic_only = c.get<bool>(k["deterministic_only"], "cache.deterministic_only", "true or false");
    }
}

}  // namespace switchyard
