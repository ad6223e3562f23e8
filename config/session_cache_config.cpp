// Parses `sessions:`, `cache:` (with `cache.semantic`) and `mcp:`.
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
        c.only_keys(k, "cache", {"enabled", "ttl", "max_entries", "max_bytes", "deterministic_only", "persist", "semantic"});
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
        if (k["persist"]) cfg.cache.persist = c.get<bool>(k["persist"], "cache.persist", "true or false");
        if (const auto& sm = k["semantic"]) {
            c.only_keys(sm, "cache.semantic", {"model", "threshold", "classes"});
            auto& sem = cfg.cache.semantic;
            if (!sm["model"]) c.fail(sm, "cache.semantic", "missing required key 'model' (an embedding model)");
            sem.model = c.get<std::string>(sm["model"], "cache.semantic.model", "a model name");
            const ModelSpec* m = cfg.find_model(sem.model);
            if (!m) c.fail(sm["model"], "cache.semantic.model", "unknown model '" + sem.model + "'");
            if (m->kind != ModelKind::embedding) c.fail(sm["model"], "cache.semantic.model", "'" + sem.model + "' is not an embedding model (kind: embedding)");
            if (sm["threshold"]) sem.threshold = c.get_float(sm["threshold"], "cache.semantic.threshold", 0, 1);
            if (const auto& cl = sm["classes"]) {
                if (!cl.IsMap()) c.fail(cl, "cache.semantic.classes", "expected a mapping of task class -> similarity threshold");
                for (const auto& kv : cl)
                    sem.classes[c.key(kv.first, "cache.semantic.classes")] = c.get_float(kv.second, "cache.semantic.classes", 0, 1);
            }
        }
    }
    if (const auto& m = root["mcp"]) {
        c.only_keys(m, "mcp", {"routes"});
        if (const auto& r = m["routes"]) {
            if (r.IsScalar()) {
                cfg.mcp.all_routes = c.get<bool>(r, "mcp.routes", "true, false or a list of route names");
            } else {
                if (!r.IsSequence()) c.fail(r, "mcp.routes", "expected true, false or a list of route names");
                for (std::size_t i = 0; i < r.size(); ++i) {
                    std::string name = c.get<std::string>(r[i], "mcp.routes", "a route name");
                    if (!cfg.find_route(name) && !cfg.find_model(name)) c.fail(r[i], "mcp.routes", "unknown route or model '" + name + "'");
                    cfg.mcp.routes.push_back(name);
                }
            }
        }
    }
}

}  // namespace switchyard
