// What every route handler shares: the model pool, metrics, a thread pool for blocking work
// (model loads, tokenisation, embeddings) so I/O threads never stall, and the access log.
#pragma once

#include "api/api_error.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "engine/model_pool.h"
#include "store/request_log.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace switchyard::api {

// One JSON line per accepted request, written to the configured stream (stdout by default).
class AccessLog {
public:
    explicit AccessLog(std::ostream* out) : out_(out) {}
    void write(const nlohmann::json& line);
private:
    std::mutex mu_;
    std::ostream* out_;
};

struct ServerContext {
    ModelPool& pool;
    Metrics& metrics;
    asio::thread_pool& blocking;
    AccessLog& log;
    std::string api_key;
    RequestLog* request_log = nullptr;   // SQLite log, when configured
    bool log_content = false;            // store prompt/answer text in it
    std::atomic<bool> draining{false};

    // Runs f on the blocking pool and resumes the caller on its own executor with the result.
    // f is taken by reference and must be a named local of the caller: GCC 12 destroys a
    // by-value coroutine argument built from a lambda temporary twice (double free).
    template <class F>
    asio::awaitable<std::invoke_result_t<F>> offload(F& f) {
        using R = std::invoke_result_t<F>;
        std::optional<R> result;
        std::exception_ptr error;
        auto task = [&f, &result, &error]() -> asio::awaitable<void> {
            try { result.emplace(f()); } catch (...) { error = std::current_exception(); }
            co_return;
        };
        co_await asio::co_spawn(blocking.get_executor(), task, asio::use_awaitable);
        if (error) std::rethrow_exception(error);
        co_return std::move(*result);
    }
};

// Per-request bookkeeping: id, timing, the access-log line and the metrics update at the end.
struct RequestRecord {
    RequestRecord(ServerContext& ctx, std::string route, const Request& req);
    ~RequestRecord();
    ServerContext& ctx;
    std::string route;
    std::string id;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    nlohmann::json fields = nlohmann::json::object();
    int status = 0;
    double ttft_s = -1;
    std::string api_key_fingerprint;
    std::string prompt;   // filled only when content logging is on
    std::string answer;
    double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

// Answers with an OpenAI error body (and Retry-After when the error has one).
asio::awaitable<void> send_error(Exchange& ex, RequestRecord& rec, const ApiError& err);
// Checks "Authorization: Bearer <key>" when the server has an API key.
std::optional<ApiError> check_auth(const ServerContext& ctx, const Request& req);
std::string random_id(const std::string& prefix);

void register_openai_routes(HttpServer& http, ServerContext& ctx);   // chat + completions
void register_basic_routes(HttpServer& http, ServerContext& ctx);    // models, embeddings, health, metrics

}  // namespace switchyard::api
