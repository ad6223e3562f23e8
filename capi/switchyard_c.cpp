// The C API (include/switchyard.h) over StandaloneRouter: every chat call goes through
// Router::run, like an HTTP request does, so model names, aliases and routes behave as in the
// server. Generated text is handed from the runtime's io thread to the calling thread through a
// small queue, so the caller's token callback runs on its own thread and may take its time.
#include "switchyard.h"

#include "config/config.h"
#include "engine/engine_error.h"
#include "router/standalone_router.h"
#include "wire/api_error.h"
#include "wire/request_parsing.h"

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

struct sy_runtime {
    std::unique_ptr<switchyard::router::StandaloneRouter> host;
    switchyard::Config config;
};

namespace {

using json = nlohmann::json;
namespace asio = boost::asio;
namespace router = switchyard::router;
namespace providers = switchyard::providers;

thread_local std::string t_last_error;

sy_status fail(sy_status code, std::string message) {
    t_last_error = std::move(message);
    return code;
}

sy_status status_for(int http_status) {
    if (http_status == 404) return SY_ERR_NOT_FOUND;
    if (http_status == 429 || http_status == 503) return SY_ERR_BUSY;
    if (http_status >= 400 && http_status < 500) return SY_ERR_BAD_REQUEST;
    return SY_ERR_FAILED;
}

char* copy_out(const std::string& s) {
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

// Text pieces on their way from the io thread (the sink) to the caller's thread (the callback).
struct Handoff {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> pieces;
    bool done = false;
    bool stopped = false;   // the callback asked to stop
    std::exception_ptr error;
};

std::string piece_of(const json& chunk) {
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return {};
    const json& choice = chunk["choices"][0];
    if (choice.contains("delta") && choice["delta"].is_object()) {
        const json& d = choice["delta"];
        if (d.contains("content") && d["content"].is_string()) return d["content"].get<std::string>();
    }
    if (choice.contains("text") && choice["text"].is_string()) return choice["text"].get<std::string>();
    return {};
}

// The chunk sink: queues the chunk's text for the caller's thread. A named coroutine (a coroutine
// lambda inside an extern "C" function gets a clashing symbol from GCC 12).
asio::awaitable<bool> hand_off(Handoff& h, json& chunk) {
    std::string piece = piece_of(chunk);
    bool go_on;
    {
        std::lock_guard lock(h.mu);
        go_on = !h.stopped;
        if (go_on && !piece.empty()) h.pieces.push_back(std::move(piece));
    }
    h.cv.notify_all();
    co_return go_on;
}

// A named coroutine with reference arguments the blocked caller keeps alive (GCC 12 mishandles
// coroutine lambdas' captures and by-value coroutine arguments).
asio::awaitable<void> run_chat(router::Router& r, const json& request, const router::RequestContext& rc,
                               const providers::ChunkSink* sink, router::RouteOutcome& out, Handoff& h) {
    router::RouteProgress progress;
    try {
        out = co_await r.run(request, rc, sink, progress);
    } catch (...) {
        std::lock_guard lock(h.mu);
        h.error = std::current_exception();
    }
    // Notified under the lock: once the caller sees done it returns and destroys h (on its
    // stack), so nothing may touch h after the unlock. Notifying after it raced with that
    // destruction (TSan, CApi.*: pthread_cond_destroy during pthread_cond_broadcast).
    std::lock_guard lock(h.mu);
    h.done = true;
    h.cv.notify_all();
}

std::string outcome_message(const router::RouteOutcome& out) {
    const json& body = out.result.error_body;
    if (out.direct && body.is_object() && body.contains("message") && body["message"].is_string()) return body["message"].get<std::string>();
    return out.error.empty() ? "the request failed" : out.error;
}

}  // namespace

extern "C" {

const char* sy_version(void) { return "0.1.0"; }

const char* sy_last_error(void) { return t_last_error.c_str(); }

void sy_free(void* p) { std::free(p); }

sy_status sy_open(const char* config_path, sy_runtime** out) {
    if (!out) return fail(SY_ERR_INVALID_ARGUMENT, "out must not be NULL");
    *out = nullptr;
    if (!config_path) return fail(SY_ERR_INVALID_ARGUMENT, "config_path must not be NULL");
    try {
        auto rt = std::make_unique<sy_runtime>();
        rt->config = switchyard::load_config(config_path);
        rt->host = std::make_unique<router::StandaloneRouter>(rt->config);
        *out = rt.release();
        t_last_error.clear();
        return SY_OK;
    } catch (const switchyard::ConfigError& e) {
        return fail(SY_ERR_CONFIG, e.what());
    } catch (const std::exception& e) {
        return fail(SY_ERR_CONFIG, std::string("could not start: ") + e.what());
    }
}

void sy_close(sy_runtime* rt) { delete rt; }

sy_status sy_models(sy_runtime* rt, char** json_out) {
    if (!rt || !json_out) return fail(SY_ERR_INVALID_ARGUMENT, "rt and json_out must not be NULL");
    json models = json::array(), routes = json::array();
    for (const auto& m : rt->config.models)
        models.push_back({{"name", m.name}, {"kind", m.kind == switchyard::ModelKind::embedding ? "embedding" : "chat"}, {"aliases", m.aliases}});
    for (const auto& r : rt->config.routes) {
        json tiers = json::array();
        for (const auto& t : r.tiers) tiers.push_back({{"name", t.name}, {"provider", t.provider}, {"model", t.model}});
        routes.push_back({{"name", r.name}, {"tiers", tiers}});
    }
    *json_out = copy_out(json{{"models", models}, {"routes", routes}}.dump());
    t_last_error.clear();
    return SY_OK;
}

sy_status sy_chat(sy_runtime* rt, const char* request_json, sy_token_callback on_token, void* user_data, char** response_json) {
    if (response_json) *response_json = nullptr;
    if (!rt || !request_json) return fail(SY_ERR_INVALID_ARGUMENT, "rt and request_json must not be NULL");
    json request;
    try {
        request = switchyard::wire::parse_body(request_json);
        switchyard::wire::require_model(request);
    } catch (const switchyard::wire::ApiError& e) {
        return fail(SY_ERR_BAD_REQUEST, e.message);
    }
    request["stream"] = on_token != nullptr;
    if (!on_token) request.erase("stream_options");

    Handoff h;
    router::RequestContext rc;
    rc.cancel = std::make_shared<providers::Cancellation>();
    providers::ChunkSink sink = [&h](json& chunk) { return hand_off(h, chunk); };
    router::RouteOutcome out;
    asio::co_spawn(asio::make_strand(rt->host->io()), run_chat(rt->host->router(), request, rc, on_token ? &sink : nullptr, out, h),
                   asio::detached);
    // Deliver pieces on this thread until the call is done.
    std::unique_lock lock(h.mu);
    for (;;) {
        h.cv.wait(lock, [&] { return h.done || !h.pieces.empty(); });
        while (!h.pieces.empty()) {
            std::string piece = std::move(h.pieces.front());
            h.pieces.pop_front();
            if (h.stopped) continue;
            lock.unlock();
            const bool stop = on_token(piece.data(), piece.size(), user_data) != 0;
            lock.lock();
            if (stop) {
                h.stopped = true;
                rc.cancel->cancel();
            }
        }
        if (h.done) break;
    }
    lock.unlock();
    if (h.error) {
        try {
            std::rethrow_exception(h.error);
        } catch (const std::exception& e) {
            return fail(SY_ERR_FAILED, e.what());
        }
    }
    if (!out.ok) return fail(status_for(out.status), outcome_message(out));
    if (response_json) {
        json resp = out.result.response.is_object() && out.result.response.contains("choices") ? out.result.response : json::object();
        if (resp.empty()) {
            json msg = {{"role", "assistant"}, {"content", out.result.content}};
            if (!out.result.tool_calls.empty()) msg["tool_calls"] = out.result.tool_calls;
            resp = {{"object", "chat.completion"},
                    {"choices", json::array({{{"index", 0}, {"message", msg}, {"logprobs", nullptr}, {"finish_reason", out.result.finish_reason}}})}};
        }
        resp["object"] = "chat.completion";
        resp["model"] = out.model;
        resp["usage"] = out.result.usage.is_object() ? out.result.usage
                        : json{{"prompt_tokens", out.result.prompt_tokens}, {"completion_tokens", out.result.completion_tokens},
                               {"total_tokens", out.result.prompt_tokens + out.result.completion_tokens}};
        if (!out.direct)
            resp["switchyard"] = {{"route", out.route}, {"tier", out.tier}, {"model", out.model}, {"task_class", out.task_class},
                                  {"escalations", out.escalations}, {"cost", out.cost}, {"models_tried", out.models_tried}, {"trace", out.trace}};
        *response_json = copy_out(resp.dump());
    }
    t_last_error.clear();
    return SY_OK;
}

sy_status sy_embed(sy_runtime* rt, const char* model, const char* const* texts, size_t count, float** vectors, size_t* dims) {
    if (vectors) *vectors = nullptr;
    if (dims) *dims = 0;
    if (!rt || !model || !vectors || !dims || (count > 0 && !texts)) return fail(SY_ERR_INVALID_ARGUMENT, "rt, model, texts, vectors and dims must not be NULL");
    std::vector<std::string> inputs;
    for (size_t i = 0; i < count; ++i) {
        if (!texts[i]) return fail(SY_ERR_INVALID_ARGUMENT, "texts[" + std::to_string(i) + "] is NULL");
        inputs.emplace_back(texts[i]);
    }
    if (inputs.empty()) return fail(SY_ERR_BAD_REQUEST, "no texts to embed");
    try {
        switchyard::ModelLease lease = rt->host->pool().acquire(model);
        int tokens = 0;
        auto rows = lease->embed(inputs, tokens);
        const size_t d = rows.empty() ? 0 : rows[0].size();
        float* out = static_cast<float*>(std::malloc(sizeof(float) * (d * rows.size() + 1)));
        if (!out) return fail(SY_ERR_FAILED, "out of memory");
        for (size_t i = 0; i < rows.size(); ++i) std::memcpy(out + i * d, rows[i].data(), sizeof(float) * d);
        *vectors = out;
        *dims = d;
        t_last_error.clear();
        return SY_OK;
    } catch (const switchyard::EngineError& e) {
        auto err = switchyard::wire::ApiError::from_engine(e);
        return fail(status_for(err.status), err.message);
    } catch (const std::exception& e) {
        return fail(SY_ERR_FAILED, e.what());
    }
}

}  // extern "C"
