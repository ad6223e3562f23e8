#include "cli/commands.h"

#include "api/server.h"
#include "config/config.h"
#include "engine/engine_error.h"
#include "engine/model_pool.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

namespace switchyard::cli {
namespace {

std::string human_bytes(std::uint64_t b) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(1);
    if (b >= (1ull << 30)) os << b / double(1ull << 30) << " GiB";
    else if (b >= (1ull << 20)) os << b / double(1ull << 20) << " MiB";
    else os << b / 1024.0 << " KiB";
    return os.str();
}

Config load_or_explain(const std::string& path) {
    try {
        return load_config(path);
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: config error: " << e.what() << "\n";
        std::exit(2);
    }
}

std::size_t collect(char* p, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
}

}  // namespace

int cmd_serve(const CommonOptions& common, const std::string& host, int port) {
    Config cfg = load_or_explain(common.config);
    if (!host.empty()) cfg.server.host = host;
    if (port >= 0) cfg.server.port = port;
    for (const auto& m : cfg.models) {
        if (!std::filesystem::exists(m.file))
            std::cerr << "switchyard: warning: model '" << m.name << "' file " << m.file << " is missing; requests for it will fail\n";
    }
    try {
        api::Server server(cfg);
        int bound = server.listen();
        std::cerr << "switchyard: listening on http://" << cfg.server.host << ":" << bound << " (" << cfg.models.size()
                  << " models configured, config " << common.config << ")\n";
        server.run();
        std::cerr << "switchyard: stopped\n";
    } catch (const std::exception& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

int cmd_run(const CommonOptions& common, const std::string& model, const std::string& prompt,
            const std::string& system, int max_tokens, double temperature, bool raw) {
    Config cfg = load_or_explain(common.config);
    ModelPool pool(cfg);
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::string error;
    Usage usage;
    auto t0 = std::chrono::steady_clock::now();
    double ttft = -1;
    try {
        ModelLease lease = pool.acquire(model);
        SamplingParams p;
        const auto& d = lease->spec().sampling;
        p.max_tokens = max_tokens > 0 ? max_tokens : d.max_tokens;
        p.temperature = temperature >= 0 ? static_cast<float>(temperature) : d.temperature;
        p.top_p = d.top_p; p.top_k = d.top_k; p.min_p = d.min_p;
        // Printing happens on the scheduler thread: tokens reach the terminal as they are made.
        auto sink = [&](GenerationEvent&& ev) {
            if (ev.type == GenerationEvent::Type::delta) {
                if (ttft < 0) ttft = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
                std::fflush(stdout);
                return;
            }
            std::lock_guard lock(mu);
            if (ev.type == GenerationEvent::Type::error) error = ev.error;
            usage = ev.usage;
            done = true;
            cv.notify_all();
        };
        if (raw) {
            lease->generate_text(prompt, "", p, sink);
        } else {
            ChatInput in;
            if (!system.empty()) in.messages.push_back({"system", system, {}, {}, {}});
            in.messages.push_back({"user", prompt, {}, {}, {}});
            lease->generate_chat(in, p, sink);
        }
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return done; });
    } catch (const EngineError& e) {
        std::cerr << "switchyard: " << e.what() << "\n";
        return 1;
    }
    std::printf("\n");
    if (!error.empty()) { std::cerr << "switchyard: generation failed: " << error << "\n"; return 1; }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "[" << usage.prompt_tokens << " prompt tokens, " << usage.completion_tokens << " generated, first token "
              << std::fixed << std::setprecision(2) << ttft << " s, total " << total << " s]\n";
    return 0;
}

int cmd_models(const CommonOptions& common, const std::string& url) {
    if (!url.empty()) {
        // Ask a running server: it knows what is loaded and how much memory it takes.
        std::string body;
        CURL* c = curl_easy_init();
        std::string endpoint = url + (url.back() == '/' ? "" : "/") + "v1/models";
        curl_easy_setopt(c, CURLOPT_URL, endpoint.c_str());
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK || status != 200) {
            std::cerr << "switchyard: cannot list models from " << endpoint << ": "
                      << (rc != CURLE_OK ? curl_easy_strerror(rc) : ("HTTP " + std::to_string(status))) << "\n";
            return 1;
        }
        auto j = nlohmann::json::parse(body);
        std::printf("%-24s %-10s %-7s %10s %12s %s\n", "NAME", "KIND", "LOADED", "FILE", "MEMORY", "ALIASES");
        for (const auto& m : j["data"]) {
            const auto& s = m["switchyard"];
            std::string aliases;
            for (const auto& a : s["aliases"]) aliases += (aliases.empty() ? "" : ",") + a.get<std::string>();
            std::printf("%-24s %-10s %-7s %10s %12s %s\n", m["id"].get<std::string>().c_str(), s["kind"].get<std::string>().c_str(),
                        s["loaded"].get<bool>() ? "yes" : "no", human_bytes(s["file_bytes"].get<std::uint64_t>()).c_str(),
                        s["loaded"].get<bool>() ? human_bytes(s["memory_bytes"].get<std::uint64_t>()).c_str() : "-", aliases.c_str());
        }
        return 0;
    }
    Config cfg = load_or_explain(common.config);
    std::printf("%-24s %-10s %10s %-8s %s\n", "NAME", "KIND", "FILE", "PRESENT", "PATH");
    for (const auto& m : cfg.models) {
        std::error_code ec;
        auto size = std::filesystem::file_size(m.file, ec);
        std::printf("%-24s %-10s %10s %-8s %s\n", m.name.c_str(), m.kind == ModelKind::chat ? "chat" : "embedding",
                    ec ? "-" : human_bytes(size).c_str(), ec ? "no" : "yes", m.file.string().c_str());
    }
    std::printf("(memory budget %s; use --url http://HOST:PORT to see what a running server has loaded)\n",
                human_bytes(cfg.memory_budget_bytes).c_str());
    return 0;
}

}  // namespace switchyard::cli
