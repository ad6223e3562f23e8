// A Provider backed by any remote OpenAI-compatible endpoint (OpenAI, OpenRouter, vLLM,
// llama-server, Ollama, another Switchyard): POST {base_url}/chat/completions over HTTP/1.1,
// plain or TLS, with streaming relay, retries before the first byte reaches the client, a
// concurrency cap and a circuit breaker. With `api: anthropic` it speaks the Anthropic Messages
// API instead (POST {base_url}/messages): requests, answers, stream events and errors are
// translated to and from chat completions (wire/anthropic_upstream.h), so the router sees one
// format whatever the tier speaks.
#pragma once

#include <atomic>

#include "config/routing_config.h"
#include "providers/async_limiter.h"
#include "providers/circuit_breaker.h"
#include "providers/provider.h"
#include "providers/upstream_http.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace switchyard::providers {

class RemoteProvider : public Provider {
public:
    // Throws std::invalid_argument for a malformed base_url, std::system_error for an unreadable
    // ca_file: configuration mistakes surface at start, not on the first request.
    RemoteProvider(asio::any_io_executor ex, RemoteProviderSpec cfg);

    const std::string& name() const override { return cfg_.name; }
    bool is_local() const override { return false; }
    double price_input() const override { return cfg_.price_input; }
    double price_output() const override { return cfg_.price_output; }
    bool available() const override { return breaker_.available(); }

    // Never throws for upstream trouble: failures come back as status >= 400 with a message
    // naming the provider (502 transport/protocol, 504 timeout, 503 breaker open, upstream's own
    // status for HTTP errors, 499 when the sink reported the client gone). Runs on the caller's
    // executor, so chunks reach the sink on the same executor as the client connection.
    asio::awaitable<ProviderResult> chat(const json& request, const ChunkSink* sink) override;

    // Health check: GET {base_url}/models. Reachable (any status below 500) closes the breaker,
    // anything else counts as a failure.
    asio::awaitable<bool> probe();
    // While the breaker is open, probes once per cooldown (as the half-open trial), so a
    // recovered upstream is back in service before a user request has to find out. Call once,
    // after construction; the loop ends with the provider.
    void start_health_probes();

    const RemoteProviderSpec& config() const { return cfg_; }
    const CircuitBreaker& breaker() const { return breaker_; }
    int in_flight() const { return limiter_.in_flight(); }
    std::size_t idle_connections() const { return pool_.idle(); }
    std::string upstream_model(const std::string& model) const;

private:
    struct Call;
    struct Attempt;
    asio::awaitable<void> attempt(const Call& call, ProviderResult& r, Attempt& a);
    asio::awaitable<void> read_stream(const Call& call, UpstreamConnection& conn, ProviderResult& r, Attempt& a);
    http::request<http::string_body> make_request(http::verb verb, const std::string& target, const std::string& body,
                                                  bool stream) const;
    void transport_failure(const Call& call, const UpstreamConnection& conn, const beast::error_code& ec,
                           ProviderResult& r, Attempt& a) const;
    std::string timed_out() const;

    asio::any_io_executor ex_;
    RemoteProviderSpec cfg_;
    Url url_;
    std::shared_ptr<asio::ssl::context> tls_;
    AsyncLimiter limiter_;
    CircuitBreaker breaker_;
    ConnectionPool pool_;
    asio::awaitable<void> health_loop(std::shared_ptr<std::atomic<bool>> alive);
    std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
    std::unique_ptr<asio::steady_timer> probe_timer_;
public:
    ~RemoteProvider() override;
};

}  // namespace switchyard::providers
