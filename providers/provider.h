// A provider answers OpenAI chat-completion requests (and, the local pool, text completions): the
// local model pool, or any remote OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM,
// llama-server, Ollama, another Switchyard). The router picks providers and is their only caller.
//
// GCC 12 note: coroutine parameters are references, never by-value objects built from temporaries
// (GCC 12 destroys those twice). Callers pass named locals.
#pragma once

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace switchyard::providers {

namespace asio = boost::asio;
using json = nlohmann::json;

// What one provider call produced. Filled for streamed and non-streamed calls alike, so the
// router can check the answer (cascade) and log it.
struct ProviderResult {
    int status = 200;                 // HTTP-like: 200 ok; >= 400 failed (see error, error_body)
    std::string error;                // precise message when failed
    json error_body;                  // OpenAI error object from upstream, when there was one
    json response;                    // non-streamed: the chat.completion object (model name as upstream sent it)
    std::string content;              // final assistant text
    json tool_calls = json::array();
    std::vector<float> token_logprobs;// when the request asked for logprobs
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;            // prompt tokens served from the KV cache (local models)
    json usage;                       // the OpenAI usage object as the provider reported it (null: none)
    int retry_after = 0;              // seconds, with a 429/503 the caller may retry after
    std::string finish_reason;
    std::string stop_sequence;        // the request's stop string that ended the answer (local models report it)
    bool streamed_to_client = false;  // chunks already reached the client: no failover after this
    int retries = 0;
    double latency_ms = 0;
    double ttft_ms = -1;
};

// Which OpenAI endpoint a call serves: chat (/v1/chat/completions) or text (/v1/completions,
// chunks and responses of object "text_completion").
enum class Endpoint { chat, text };

// Stops a call whose client went away, also one that is not streaming (a streaming call also
// stops when its sink returns false). The provider doing the work registers how to stop it.
class Cancellation {
public:
    // Any thread. Runs the registered stops once.
    void cancel() {
        std::vector<std::function<void()>> stops;
        {
            std::lock_guard lock(mu_);
            if (cancelled_) return;
            cancelled_ = true;
            stops.swap(stops_);
        }
        for (auto& f : stops) f();
    }
    bool cancelled() const {
        std::lock_guard lock(mu_);
        return cancelled_;
    }
    // Runs `stop` now when already cancelled, else on cancel(). `stop` must stay safe to call
    // after the work it stops has finished.
    void on_cancel(std::function<void()> stop) {
        {
            std::lock_guard lock(mu_);
            if (!cancelled_) { stops_.push_back(std::move(stop)); return; }
        }
        stop();
    }

private:
    mutable std::mutex mu_;
    bool cancelled_ = false;
    std::vector<std::function<void()>> stops_;
};

struct CallOptions {
    Endpoint endpoint = Endpoint::chat;
    std::shared_ptr<Cancellation> cancel;   // may be null
    // Set by the router only for a provider whose forwards_raw() is true, when the request it
    // passes is the client's body unchanged but for "model": `raw_body` is that body's text and
    // `model` the model to call instead of request["model"]. The provider may then send the text
    // with the model replaced (wire/body_rewrite.h) instead of re-serialising `request`.
    std::string_view raw_body;
    const std::string* model = nullptr;
};

// Receives each streamed chunk (chat.completion.chunk or text_completion; "id", "model" not yet rewritten).
// Returns false when the client is gone, which cancels the call.
using ChunkSink = std::function<asio::awaitable<bool>(json& chunk)>;

class Provider {
public:
    virtual ~Provider() = default;
    virtual const std::string& name() const = 0;
    virtual bool is_local() const = 0;
    // USD per 1M tokens; 0 for local models.
    virtual double price_input() const { return 0; }
    virtual double price_output() const { return 0; }
    // False while a circuit breaker has this provider open (skip it, try the next tier).
    virtual bool available() const { return true; }
    // True when call() honours CallOptions::raw_body and CallOptions::model.
    virtual bool forwards_raw() const { return false; }
    // Runs one chat completion. `request` is an OpenAI body whose "model" is the provider's own
    // model name. If `sink` is set and request["stream"] is true, chunks go to it as they arrive.
    virtual asio::awaitable<ProviderResult> chat(const json& request, const ChunkSink* sink) = 0;
    // The general call the router makes: chat or text completion, cancellable. The default serves
    // chat through chat() and refuses text completions (remote providers speak chat only).
    virtual asio::awaitable<ProviderResult> call(const json& request, const ChunkSink* sink, const CallOptions& options) {
        if (options.endpoint == Endpoint::chat) co_return co_await chat(request, sink);
        ProviderResult r;
        r.status = 400;
        r.error = "provider '" + name() + "' serves chat completions only; text completions are served by local models";
        r.error_body = {{"message", r.error}, {"type", "invalid_request_error"}, {"param", "model"}, {"code", "unsupported_endpoint"}};
        co_return r;
    }
};

}  // namespace switchyard::providers
