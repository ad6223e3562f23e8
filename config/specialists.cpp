#include "config/specialists.h"

#include "config/yaml_support.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace switchyard {

namespace fs = std::filesystem;

std::vector<Specialist> read_specialists(const fs::path& file) {
    std::vector<Specialist> out;
    if (!fs::exists(file)) return out;
    if (!fs::is_regular_file(file)) throw ConfigError(file.string() + ": the specialists file is not a regular file");
    YamlCtx c{file.string()};
    YAML::Node root;
    try {
        root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
        throw ConfigError(file.string() + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    if (root.IsNull()) return out;
    c.only_keys(root, "(top level)", {"specialists"});
    const auto& list = root["specialists"];
    if (!list) return out;
    if (!list.IsSequence()) c.fail(list, "specialists", "expected a list");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& n = list[i];
        const std::string p = "specialists[" + std::to_string(i) + "]";
        c.only_keys(n, p, {"route", "class", "model", "file", "tier", "manifest"});
        for (const char* k : {"route", "class", "model", "file"})
            if (!n[k]) c.fail(n, p, std::string("'") + k + "' is required");
        Specialist s;
        s.route = c.get<std::string>(n["route"], p + ".route", "a route name");
        s.task_class = c.get<std::string>(n["class"], p + ".class", "a task class");
        s.model = c.get<std::string>(n["model"], p + ".model", "a model name");
        s.file = c.get<std::string>(n["file"], p + ".file", "a path");
        if (n["tier"]) s.tier = c.get<std::string>(n["tier"], p + ".tier", "a tier name");
        if (n["manifest"]) s.manifest = c.get<std::string>(n["manifest"], p + ".manifest", "a path");
        out.push_back(std::move(s));
    }
    return out;
}

void write_specialists(const fs::path& file, const std::vector<Specialist>& list) {
    YAML::Emitter y;
    y << YAML::Comment("Written by `switchyard distil promote` and POST /v1/admin/specialists; read at start (config key `specialists:`).");
    y << YAML::BeginMap << YAML::Key << "specialists" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : list) {
        y << YAML::BeginMap << YAML::Key << "route" << YAML::Value << s.route << YAML::Key << "class" << YAML::Value << s.task_class
          << YAML::Key << "model" << YAML::Value << s.model << YAML::Key << "file" << YAML::Value << s.file.string();
        if (!s.tier.empty()) y << YAML::Key << "tier" << YAML::Value << s.tier;
        if (!s.manifest.empty()) y << YAML::Key << "manifest" << YAML::Value << s.manifest;
        y << YAML::EndMap;
    }
    y << YAML::EndSeq << YAML::EndMap;
    if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
    const fs::path tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out) throw ConfigError(file.string() + ": cannot write the specialists file");
        out << y.c_str() << "\n";
    }
    fs::rename(tmp, file);
}

ModelSpec specialist_model(const Specialist& s, const Config& config) {
    ModelSpec m;
    m.name = s.model;
    m.file = (s.file.is_absolute() ? s.file : config.models_dir / s.file).lexically_normal();
    m.context_size = 1024;   // one narrow task: short prompts, short answers
    m.parallel = 2;
    m.keep_alive = std::chrono::seconds(600);
    m.sampling.temperature = 0;  // it was trained to give one answer; sampling only adds noise
    m.sampling.max_tokens = 256;
    return m;
}

std::size_t class_tier(const RouteSpec& route, const std::string& task_class) {
    auto index = [&](const std::string& tier) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < route.tiers.size(); ++i) if (route.tiers[i].name == tier) return i;
        return std::nullopt;
    };
    for (const auto& r : route.rules)
        if (r.task == task_class)
            if (auto i = index(r.tier)) return *i;
    if (route.classifier)
        if (auto it = route.classifier->classes.find(task_class); it != route.classifier->classes.end())
            if (auto i = index(it->second)) return *i;
    return route.tiers.empty() ? 0 : route.tiers.size() - 1;
}

RouteSpec route_with_specialist(const RouteSpec& route, const Specialist& s) {
    const std::string where = "specialist for class '" + s.task_class + "' on route '" + route.name + "'";
    if (s.task_class.empty() || s.model.empty()) throw ConfigError(where + ": class and model are required");
    if (route.tiers.empty()) throw ConfigError(where + ": the route has no tiers");
    RouteSpec r = route;
    const std::string tier = s.tier.empty() ? "distil-" + s.task_class : s.tier;
    auto existing = std::find_if(r.tiers.begin(), r.tiers.end(), [&](const TierSpec& t) { return t.name == tier; });
    if (existing != r.tiers.end()) {
        existing->model = s.model;   // a newer specialist for the same class replaces the older one
        existing->provider = "local";
    } else {
        const std::size_t above = class_tier(route, s.task_class);
        r.tiers.insert(r.tiers.begin() + above, TierSpec{tier, "local", s.model});
    }
    // Rules that already send the class somewhere now send it to the specialist; otherwise a new
    // rule, after the capability rules (tools, images: the specialist was not trained for them).
    bool ruled = false;
    for (auto& rule : r.rules)
        if (rule.task == s.task_class) { rule.tier = tier; ruled = true; }
    if (!ruled) {
        RuleSpec rule;
        rule.name = tier;
        rule.task = s.task_class;
        rule.tier = tier;
        auto pos = std::find_if(r.rules.begin(), r.rules.end(), [](const RuleSpec& x) { return !x.tools && !x.images; });
        r.rules.insert(pos, rule);
    }
    if (r.classifier) r.classifier->classes[s.task_class] = tier;
    return r;
}

bool inside_roots(const Config& config, const fs::path& file) {
    const fs::path f = fs::weakly_canonical(file);
    auto under = [&](const fs::path& dir) {
        if (dir.empty()) return false;
        const fs::path root = fs::weakly_canonical(dir);
        auto [a, b] = std::mismatch(root.begin(), root.end(), f.begin(), f.end());
        return a == root.end();
    };
    return under(config.models_dir) || (!config.specialists_path.empty() && under(config.specialists_path.parent_path()));
}

void apply_specialist(Config& config, const Specialist& s) {
    auto route = std::find_if(config.routes.begin(), config.routes.end(), [&](const RouteSpec& r) { return r.name == s.route; });
    if (route == config.routes.end()) throw ConfigError("specialist '" + s.model + "': no route named '" + s.route + "'");
    ModelSpec m = specialist_model(s, config);
    if (!inside_roots(config, m.file))
        throw ConfigError("specialist '" + s.model + "': its file " + m.file.filename().string() +
                          " must be inside models_dir or the specialists file's folder");
    if (const ModelSpec* old = config.find_model(s.model)) {
        if (old->file != m.file) throw ConfigError("specialist '" + s.model + "': a different model already has that name");
    } else {
        config.models.push_back(std::move(m));
    }
    *route = route_with_specialist(*route, s);
}

}  // namespace switchyard
