// Helpers for strict YAML parsing with precise errors (file:line: path: what). Internal to config/.
#pragma once

#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <string>

namespace switchyard {

// Carries the file name and YAML path so every message says exactly where the problem is.
struct YamlCtx {
    std::string source;
    [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& what) const {
        std::ostringstream os;
        os << source;
        if (node.IsDefined() && node.Mark().line >= 0) os << ":" << node.Mark().line + 1;
        os << ": " << path << ": " << what;
        throw ConfigError(os.str());
    }
    // A mapping key as text; a list or mapping used as a key (`[a]: 1`, `? {a: 1}`) is an error.
    std::string key(const YAML::Node& k, const std::string& path) const {
        if (!k.IsScalar()) fail(k, path, "keys must be plain names");
        return k.Scalar();
    }
    void only_keys(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> keys) const {
        if (!map.IsMap()) fail(map, path, "expected a mapping");
        for (const auto& kv : map) {
            auto key = this->key(kv.first, path);
            if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; })) {
                std::string allowed;
                for (auto k : keys) allowed += std::string(allowed.empty() ? "" : ", ") + k;
                fail(kv.first, path, "unknown key '" + key + "' (allowed: " + allowed + ")");
            }
        }
    }
    template <class T>
    T get(const YAML::Node& node, const std::string& path, const char* type_name) const {
        if (!node.IsScalar()) fail(node, path, std::string("expected ") + type_name);
        try {
            return node.as<T>();
        } catch (const YAML::Exception&) {
            fail(node, path, std::string("expected ") + type_name + ", got '" + node.Scalar() + "'");
        }
    }
    int get_int(const YAML::Node& n, const std::string& path, int lo, int hi) const {
        int v = get<int>(n, path, "an integer");
        if (v < lo || v > hi)
            fail(n, path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(v));
        return v;
    }
    float get_float(const YAML::Node& n, const std::string& path, float lo, float hi) const {
        float v = get<float>(n, path, "a number");
        if (v < lo || v > hi) {
            std::ostringstream os;
            os << "must be between " << lo << " and " << hi << ", got " << v;
            fail(n, path, os.str());
        }
        return v;
    }
};


}  // namespace switchyard
