// `switchyard logs` and `switchyard feedback export`: read the SQLite request log.
#include "cli/commands.h"

#include "config/config.h"
#include "store/open_store.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

namespace switchyard::cli {
namespace {

std::unique_ptr<Store> open_log(const CommonOptions& common) {
    Config cfg = load_config(common.config);
    if (!cfg.store.enabled()) {
        if (cfg.log_path.empty()) throw std::runtime_error("no request log configured: set log.path (or store) in " + common.config);
        if (!std::filesystem::exists(cfg.log_path)) throw std::runtime_error("request log " + cfg.log_path.string() + " does not exist yet");
    }
    return open_store(cfg);
}

}  // namespace

int cmd_logs(const CommonOptions& common, const LogsOptions& o) {
    try {
        auto store = open_log(common);
        Store& log = *store;
        LogFilter f;
        if (o.status > 0) f.status = o.status;
        f.model = o.model;
        f.errors_only = o.errors;
        f.limit = o.limit;
        if (!o.since.empty()) f.since = static_cast<double>(std::time(nullptr)) - parse_duration(o.since).count();
        auto rows = log.query(f);
        if (o.json) {
            for (const auto& e : rows) {
                nlohmann::json j = {{"id", e.id}, {"ts", e.ts}, {"endpoint", e.endpoint}, {"model_requested", e.model_requested},
                                    {"model", e.model}, {"route", e.route}, {"status", e.status}, {"prompt_tokens", e.prompt_tokens},
                                    {"completion_tokens", e.completion_tokens}, {"cached_tokens", e.cached_tokens},
                                    {"latency_ms", e.latency_ms}, {"ttft_ms", e.ttft_ms}, {"cost", e.cost},
                                    {"finish_reason", e.finish_reason}, {"error", e.error}};
                std::cout << j.dump() << "\n";
            }
            return 0;
        }
        std::printf("%-19s %-34s %-22s %-16s %6s %6s %6s %9s  %s\n", "TIME", "ID", "ENDPOINT", "MODEL", "STATUS", "IN", "OUT", "LATENCY", "NOTE");
        for (const auto& e : rows) {
            std::time_t t = static_cast<std::time_t>(e.ts);
            char when[32];
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
            std::string note = !e.error.empty() ? e.error.substr(0, 60) : e.finish_reason;
            std::printf("%-19s %-34s %-22s %-16s %6d %6d %6d %7.0fms  %s\n", when, e.id.c_str(), e.endpoint.c_str(),
                        e.model.c_str(), e.status, e.prompt_tokens, e.completion_tokens, e.latency_ms, note.c_str());
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 1;
    }
}

int cmd_feedback_export(const CommonOptions& common, const std::string& out) {
    try {
        auto pairs = open_log(common)->corrections();
        std::ofstream file;
        if (!out.empty()) file.open(out);
        std::ostream& os = out.empty() ? std::cout : file;
        int written = 0, skipped = 0;
        for (const auto& [entry, fb] : pairs) {
            // A fine-tuning pair needs the prompt, which is only stored with log.content: true.
            if (entry.prompt.empty()) { ++skipped; continue; }
            nlohmann::json messages = nlohmann::json::parse(entry.prompt, nullptr, false);
            if (!messages.is_array()) messages = nlohmann::json::array({{{"role", "user"}, {"content", entry.prompt}}});
            messages.push_back({{"role", "assistant"}, {"content", fb.correction}});
            os << nlohmann::json{{"messages", messages}, {"request_id", entry.id}, {"model", entry.model}}.dump() << "\n";
            ++written;
        }
        std::cerr << "switchyard: exported " << written << " corrected pairs" << (out.empty() ? "" : " to " + out);
        if (skipped) std::cerr << " (" << skipped << " skipped: their prompts were not logged; set log.content: true)";
        std::cerr << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
