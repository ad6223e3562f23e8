// A fake PipelineServices for pipeline unit tests: records every call, answers instantly (or
// after a delay, to observe parallelism), and embeds text as letter counts so similarity is
// predictable.
#pragma once

#include "pipeline/pipeline.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace switchyard::pipeline::testing {

inline nlohmann::json chat_response(const std::string& content) {
    return {{"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}};
}

inline std::string last_user_message(const nlohmann::json& request) {
    return request["messages"].back()["content"].get<std::string>();
}

struct FakeServices : PipelineServices {
    std::mutex mu;
    std::vector<nlohmann::json> chats;
    std::vector<std::vector<std::string>> embeds;
    std::set<std::string> models{"m", "emb", "auto"};
    std::map<std::string, std::string> identity;   // model -> identity; default "NAME@1"
    std::function<std::string(const nlohmann::json&)> answer = [](const nlohmann::json& r) {
        return "answer(" + last_user_message(r) + ")";
    };
    int delay_ms = 0;
    std::atomic<int> active{0}, max_active{0};

    nlohmann::json chat(const nlohmann::json& request) override {
        {
            std::lock_guard lock(mu);
            chats.push_back(request);
        }
        int now = ++active;
        for (int seen = max_active; now > seen && !max_active.compare_exchange_weak(seen, now);) {
        }
        if (delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        --active;
        return chat_response(answer(request));
    }
    std::vector<std::vector<float>> embed(const std::string& model, const std::vector<std::string>& texts) override {
        {
            std::lock_guard lock(mu);
            embeds.push_back(texts);
        }
        std::vector<std::vector<float>> out;
        for (const auto& t : texts) {
            std::vector<float> v(26, 0.0f);
            for (char c : t)
                if (c >= 'a' && c <= 'z') v[c - 'a'] += 1;
            out.push_back(v);
        }
        return out;
    }
    std::string model_identity(const std::string& model) override {
        std::lock_guard lock(mu);
        return identity.count(model) ? identity[model] : model + "@1";
    }
    bool known_model(const std::string& model) override { return models.count(model) != 0; }

    int chat_count() {
        std::lock_guard lock(mu);
        return static_cast<int>(chats.size());
    }
};

inline PipelineDefinition parse(const std::string& yaml, const std::filesystem::path& base = {}) {
    return parse_pipeline(yaml, "p.yaml", base);
}

// Joined problems, for EXPECT_THAT-free substring checks.
inline std::string problems_of(const std::string& yaml, FakeServices* services = nullptr) {
    auto def = parse(yaml);
    std::vector<std::string> problems;
    if (services) problems = check_pipeline(def, builtin_nodes(), [services](const std::string& m) { return services->known_model(m); });
    else problems = check_pipeline(def, builtin_nodes(), {});
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    return all;
}

inline std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("switchyard-pipeline-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace switchyard::pipeline::testing
