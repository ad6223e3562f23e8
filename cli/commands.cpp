#include "cli/commands.h"

#include "api/server.h"
#include "config/config.h"
#include "engine/engine_error.h"
#include "engine/model_pool.h"
#include "router/standalone_router.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>

namespace switchyard::cli {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;

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

// `switchyard run`: prints the text of each streamed chunk as it arrives.
struct Printer {
    std::chrono::steady_clock::time_point t0;
    double ttft = -1;
};

// Named coroutines with reference arguments (GCC 12 mishandles coroutine lambdas' captures).
asio::awaitable<bool> print_chunk(Printer& p, json& chunk) {
    if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
        const json& c = chunk["choices"][0];
        std::string text;
        if (c.contains("delta") && c["delta"].is_object() && c["delta"].contains("content") && c["delta"]["content"].is_string())
            text = c["delta"]["content"].get<std::string>();
        else if (c.contains("text") && c["text"].is_string())
            text = c["text"].get<std::string>();
        if (!text.empty()) {
            if (p.ttft < 0) p.ttft = std::chrono::duration<double>(std::chrono::steady_clock::now() - p.t0).count();
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout);
        }
    }
    co_return true;
}

asio::awaitable<void> run_printing(router::Router& r, const json& request, const router::RequestContext& rc,
                                   const providers::ChunkSink& sink, router::RouteOutcome& out, std::promise<void>& done) {
    router::RouteProgress progress;
    try {
        out = co_await r.run(request, rc, &sink, progress);
    } catch (const std::exception& e) {
        out.ok = false;
        out.error = e.what();
    }
    done.set_value();
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
    // The same path as an HTTP request: the router, so a route name works as well as a model.
    json request = {{"model", model}, {"stream", true}};
    if (raw) {
        request["prompt"] = prompt;
    } else {
        json messages = json::array();
        if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
        messages.push_back({{"role", "user"}, {"content", prompt}});
        request["messages"] = messages;
    }
    if (max_tokens > 0) request["max_tokens"] = max_tokens;
    if (temperature >= 0) request["temperature"] = temperature;
    router::RequestContext rc;
    rc.endpoint = raw ? providers::Endpoint::text : providers::Endpoint::chat;
    Printer printer;
    printer.t0 = std::chrono::steady_clock::now();
    providers::ChunkSink sink = [&printer](json& chunk) { return print_chunk(printer, chunk); };
    router::RouteOutcome out;
    {
        router::StandaloneRouter host(cfg);
        std::promise<void> done;
        // Tokens reach the terminal from the router's io thread as they are made.
        asio::co_spawn(asio::make_strand(host.io()), run_printing(host.router(), request, rc, sink, out, done), asio::detached);
        done.get_future().get();
    }
    std::printf("\n");
    if (!out.ok) {
        const json& body = out.result.error_body;
        std::string message = out.direct && body.is_object() && body.contains("message") && body["message"].is_string()
                                  ? body["message"].get<std::string>() : out.error;
        std::cerr << "switchyard: " << message << "\n";
        return 1;
    }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - printer.t0).count();
    std::cerr << "[" << out.result.prompt_tokens << " prompt tokens, " << out.result.completion_tokens << " generated, first token "
              << std::fixed << std::setprecision(2) << printer.ttft << " s, total " << total << " s]\n";
    return 0;
}

int cmd_models(const CommonOptions& common, const std::string& url, const std::string& api_key_env) {
    if (!url.empty()) {
        // Ask a running server: it knows what is loaded and how much memory it takes.
        std::string body;
        // The key is read from a named variable, never from argv (which other users can see in ps).
        curl_slist* headers = nullptr;
        if (!api_key_env.empty()) {
            const char* key = std::getenv(api_key_env.c_str());
            if (!key || !*key) {
                std::cerr << "switchyard: environment variable " << api_key_env << " is not set\n";
                return 2;
            }
            headers = curl_slist_append(headers, ("Authorization: Bearer " + std::string(key)).c_str());
        }
        CURL* c = curl_easy_init();
        std::string endpoint = url + (url.back() == '/' ? "" : "/") + "v1/models";
        curl_easy_setopt(c, CURLOPT_URL, endpoint.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK || status != 200) {
            std::cerr << "switchyard: cannot list models from " << endpoint << ": "
                      << (rc != CURLE_OK ? curl_easy_strerror(rc) : ("HTTP " + std::to_string(status))) << "\n";
            return 1;
        }
        auto j = nlohmann::json::parse(body);
        std::printf("%-24s %-10s %-7s %10s %12s %s\n", "NAME", "KIND", "LOADED", "FILE", "MEMORY", "ALIASES");
        // Entries differ by kind (models carry files and memory; routes their tiers; pipelines a
        // description), and a newer server may add kinds: read every field with a default.
        for (const auto& m : j.value("data", nlohmann::json::array())) {
            const nlohmann::json s = m.value("switchyard", nlohmann::json::object());
            const std::string kind = s.value("kind", std::string("?"));
            const bool is_model = s.contains("file_bytes");
            const bool loaded = s.value("loaded", false);
            std::string extra;
            for (const auto& a : s.value("aliases", nlohmann::json::array()))
                if (a.is_string()) extra += (extra.empty() ? "" : ",") + a.get<std::string>();
            for (const auto& t : s.value("tiers", nlohmann::json::array()))
                extra += (extra.empty() ? "tiers: " : " > ") + t.value("model", std::string("?"));
            std::printf("%-24s %-10s %-7s %10s %12s %s\n", m.value("id", std::string("?")).c_str(), kind.c_str(),
                        is_model ? (loaded ? "yes" : "no") : "-",
                        is_model ? human_bytes(s.value("file_bytes", std::uint64_t{0})).c_str() : "-",
                        loaded ? human_bytes(s.value("memory_bytes", std::uint64_t{0})).c_str() : "-", extra.c_str());
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
