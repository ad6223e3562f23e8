// What every route handler shares: the model pool, metrics, a thread pool for blocking work
// (model loads, tokenisation, embeddings) so I/O threads never stall, and the access log.
#pragma once

#include "wire/api_error.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/rate_limiter.h"
#include "engine/model_pool.h"
#include "providers/offload.h"
#include "providers/provider.h"
#include "store/store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace switchyard::router { class Router; }
namespace switchyard { class ResponseStore; }
namespace switchyard::api { class PipelineHost; class EventBus; }

namespace switchyard::api {

// The OpenAI wire format (wire/: ApiError, parse_body, sse_event, EventChannel...) is this
// layer's vocabulary; api/ is the server side of it.
using namespace switchyard::wire;

// One JSON line per accepted request, written to the configured stream (stdout by default).
// Lines are gathered and written by a background thread, at most kWindow after the first line
// of a batch (one write(2) per batch instead of one per request: the pipe write and the wake-up
// of its reader were ~8% of the gateway's CPU per proxied request, bench/RESULTS.md). Order is
// kept; flush() and the destructor write everything gathered so far. A SIGKILL can lose the
// last few milliseconds of lines (the request log's journal keeps those requests).
class AccessLog {
public:
    static constexpr std::chrono::milliseconds kWindow{5};
    explicit AccessLog(std::ostream* out);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;
    void write(const nlohmann::json& line);
    void flush();   // returns when every line written so far is in the stream
private:
    void writer_loop();
    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable flushed_cv_;
    std::string pending_;           // complete lines, not yet written
    std::uint64_t queued_ = 0;      // lines handed to write()
    std::uint64_t written_ = 0;     // lines in the stream
    bool idle_ = true;              // the writer waits for a first line: write() wakes it
    bool stopping_ = false;
    bool flush_wanted_ = false;
    std::ostream* out_;
    std::thread writer_;
};

struct ServerContext {
    ModelPool& pool;
    Metrics& metrics;
    asio::thread_pool& blocking;
    AccessLog& log;
    std::string api_key;
    std::vector<ApiKeySpec> api_keys;    // named keys (server.api_keys)
    Store* request_log = nullptr;        // the request log (SQLite or PostgreSQL), when configured
    router::Router* router = nullptr;    // routes (virtual model names), when configured
    PipelineHost* pipelines = nullptr;   // pipelines (also model names), when configured
    ResponseStore* responses = nullptr;  // stored Responses (previous_response_id)
    // Routes (or model names) /mcp offers as tools besides the pipelines (mcp.routes): name, and
    // its tiers as the tool's description names them.
    std::vector<std::pair<std::string, std::string>> mcp_routes;
    bool log_content = false;            // store prompt/answer text in it
    std::string admin_key;               // server.admin_key_env's value ("" = none)
    RateLimitSpec rate_limit;            // server.rate_limit: for callers without limits of their own
    RateLimiter* limiter = nullptr;
    bool expose_paths = false;           // /v1/models may show absolute paths
    EventBus* events = nullptr;          // the web UI's live feed (api/event_bus.h)
    std::atomic<bool> draining{false};

    // Runs f on the blocking pool (see providers/offload.h for the GCC 12 constraints).
    template <class F>
    asio::awaitable<std::invoke_result_t<F>> offload(F& f) {
        co_return co_await switchyard::offload(blocking, f);
    }
};

// Per-request bookkeeping: id, timing, the access-log line and the metrics update at the end.
struct RequestRecord {
    // Records the request-log entry right before the exchange's last bytes (Exchange::
    // before_last_bytes), so that a request answered is logged even if the process dies a moment
    // later; a request that ends without an answer (client gone) is logged by the destructor.
    RequestRecord(ServerContext& ctx, std::string route, const Request& req, Exchange& ex);
    ~RequestRecord();
    RequestRecord(const RequestRecord&) = delete;
    RequestRecord& operator=(const RequestRecord&) = delete;
    ServerContext& ctx;
    std::string route;
    std::string id;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    nlohmann::json fields = nlohmann::json::object();
    int status = 0;
    double ttft_s = -1;
    std::string api_key_fingerprint;     // the key's configured name, else a short hash
    std::string rate_caller;             // what rate limits count this request against
    const ApiKeySpec* key = nullptr;     // the named key the caller sent, if any
    std::string prompt;   // filled only when content logging is on
    std::string answer;
    Exchange& exchange;
    bool logged = false;                 // the request-log entry was recorded (before the last bytes)
    void record_log_entry();
    double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

// Answers with an OpenAI error body (and Retry-After when the error has one).
asio::awaitable<void> send_error(Exchange& ex, RequestRecord& rec, const ApiError& err);
// Checks the presented key (see presented_key) when the server has an API key or named keys, then the
// caller's rate limit (429 with Retry-After), and refuses (503) every request while the request
// log cannot be written.
std::optional<ApiError> check_auth(const ServerContext& ctx, const Request& req);
// For admin endpoints: with any key configured, only the admin key or a key with role admin
// passes (401 without a valid key, 403 with a client key).
std::optional<ApiError> check_admin(const ServerContext& ctx, const Request& req);
// The name rate limits count against: the named key, "api_key", "admin", or "anonymous".
std::string caller_name(const ServerContext& ctx, const Request& req);
// The key a request presents: "Authorization: Bearer K", else "x-api-key: K" (Anthropic clients).
std::string_view presented_key(const Request& req);
// The named key (server.api_keys) the request carries, if any.
const ApiKeySpec* find_key(const ServerContext& ctx, const Request& req);
std::string random_id(const std::string& prefix);

void register_openai_routes(HttpServer& http, ServerContext& ctx);   // chat + completions
void register_basic_routes(HttpServer& http, ServerContext& ctx);    // models, embeddings, health, metrics
void register_feedback_routes(HttpServer& http, ServerContext& ctx); // /v1/feedback, /v1/route/bumps
void register_route_routes(HttpServer& http, ServerContext& ctx);    // /v1/route/explain
void register_pipeline_routes(HttpServer& http, ServerContext& ctx); // /v1/pipelines, /v1/pipelines/{name}/run
void register_admin_routes(HttpServer& http, ServerContext& ctx);    // /v1/admin/specialists (api/admin_routes.cpp)
void register_responses_routes(HttpServer& http, ServerContext& ctx); // /v1/responses (OpenAI Responses API)
void register_messages_routes(HttpServer& http, ServerContext& ctx);  // /v1/messages (Anthropic Messages API)
void register_mcp_routes(HttpServer& http, ServerContext& ctx);       // /mcp (Model Context Protocol)
void register_ui_routes(HttpServer& http, ServerContext& ctx);       // /ui and /ui/api/* (api/ui_*.cpp)
// A finished request as the UI's live feed shows it (api/ui_dashboard.cpp).
nlohmann::json feed_event(const RequestRecord& rec, int status, double latency_s);
bool is_pipeline(const ServerContext& ctx, const std::string& model);
nlohmann::json pipeline_models(const ServerContext& ctx);           // /v1/models entries
nlohmann::json pipeline_descriptions(const ServerContext& ctx);     // as GET /v1/pipelines lists them
// Runs a pipeline to its result event ({"ok", "outputs", "error", ...}); throws ApiError for an
// unknown pipeline or bad inputs. A client that disconnects cancels it.
asio::awaitable<nlohmann::json> run_pipeline(ServerContext& ctx, Exchange& ex, const std::string& name, nlohmann::json& inputs);
// /v1/chat/completions for a pipeline name (body already parsed).
asio::awaitable<void> handle_pipeline_chat(ServerContext& ctx, const Request& req, Exchange& ex, const nlohmann::json& body);
// /v1/chat/completions for a route or model name (body already parsed).
asio::awaitable<void> handle_routed(ServerContext& ctx, const Request& req, Exchange& ex, const nlohmann::json& body);
// The one path of /v1/chat/completions and /v1/completions: auth, body, router, SSE or JSON answer.
// `parsed`: the body when the caller already parsed it (null: parsed here, with the precise error).
asio::awaitable<void> handle_completion(ServerContext& ctx, const Request& req, Exchange& ex, const nlohmann::json* parsed,
                                        providers::Endpoint endpoint);

}  // namespace switchyard::api
