// A provider answers OpenAI chat-completion requests: the local model pool, or any remote
// OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM, llama-server, Ollama, another Switchyard).
// The router picks providers; the HTTP layer only sees this interface.
//
// GCC 12 note: coroutine parameters are references, never by-value objects built from temporaries
// (GCC 12 destroys those twice). Callers pass named locals.
#pragma once

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
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
    std::string finish_reason;
    std::string stop_sequence;        // the request's stop string that ended the answer (local models report it)
    bool streamed_to_client = false;  // chunks already reached the client: no failover after this
    int retries = 0;
    double latency_ms = 0;
    double ttft_ms = -1;
};

// Receives each streamed chunk (an OpenAI chat.completion.chunk object, "model" not yet rewritten).
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
    // Runs one chat completion. `request` is an OpenAI body whose "model" is the provider's own
    // model name. If `sink` is set and request["stream"] is true, chunks go to it as they arrive.
    virtual asio::awaitable<ProviderResult> chat(const json& request, const ChunkSink* sink) = 0;
};

}  // namespace switchyard::providers
