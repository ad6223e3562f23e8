#include "providers/remote_provider.h"

#include "providers/openai_stream.h"
#include "wire/anthropic_upstream.h"

#include <algorithm>
#include <random>
#include <stdexcept>

// GCC 12 false positive: after inlining Asio's recycling frame allocator it reports the
// awaitable frame's own operator delete as "mismatched" (Asio allocates and frees the frame
// with the matching pair; ASan runs of the tests agree).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace switchyard::providers {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;  // a completion, not a download
constexpr std::size_t kMaxErrorBytes = 64 * 1024;
constexpr milliseconds kMaxRetryAfter{5000};  // a longer wait is better spent on another tier

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Retry-After in seconds (the HTTP-date form is rare from APIs and ignored).
milliseconds parse_retry_after(const std::optional<std::string>& value) {
    if (!value || value->empty() || value->size() > 9) return milliseconds(-1);
    if (!std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; }))
        return milliseconds(-1);
    return std::min<milliseconds>(std::chrono::seconds(std::stol(*value)), kMaxRetryAfter);
}

// Exponential backoff with "equal jitter": half the delay fixed, half random, so callers that
// failed together do not retry together.
milliseconds backoff(milliseconds base, int attempt) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    auto full = base.count() * (1LL << std::min(attempt, 16));
    std::uniform_int_distribution<long long> half(0, full / 2);
    return milliseconds(full - full / 2 + half(rng));
}

// A request the Messages API cannot carry (nothing was sent). Out of the coroutine: GCC 12
// miscompiles braced json initialisers in coroutines.
ProviderResult unsupported_request(const std::string& provider, const std::string& why) {
    ProviderResult r;
    r.status = 400;
    r.error = "provider '" + provider + "' (Anthropic Messages API): " + why;
    r.error_body = {{"message", r.error}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", "unsupported_by_provider"}};
    return r;
}

}  // namespace

// Everything one chat() call shares across its attempts.
struct RemoteProvider::Call {
    Clock::time_point start, deadline;
    std::string url;      // full request URL, for messages
    std::string target;   // request path
    std::string payload;  // the body as sent upstream
    bool stream = false;
    bool anthropic = false;   // the upstream speaks the Anthropic Messages API
    bool client_wants_usage = false;
    const ChunkSink* sink = nullptr;
};

// How one attempt ended, for the breaker and the retry loop.
struct RemoteProvider::Attempt {
    enum class Verdict { success, rejected, upstream_fault, abandoned };
    Verdict verdict = Verdict::success;  // rejected: a 4xx; the upstream is up, the request is not ok
    bool retryable = false;
    milliseconds retry_after{-1};
};

RemoteProvider::RemoteProvider(asio::any_io_executor ex, RemoteProviderSpec cfg)
    : ex_(std::move(ex)),
      cfg_(std::move(cfg)),
      limiter_(cfg_.max_concurrency),
      breaker_(cfg_.breaker_failures, cfg_.breaker_cooldown),
      // Idle for less than 20 s: below the keep-alive timeouts of common servers (Switchyard's own
      // is 60 s, nginx's 75 s, llama-server's 5 s is the exception a stale retry covers).
      pool_(static_cast<std::size_t>(std::max(1, cfg_.max_concurrency)), std::chrono::seconds(20)) {
    std::string err;
    if (!parse_url(cfg_.base_url, url_, err))
        throw std::invalid_argument("provider '" + cfg_.name + "': " + err + " (got '" + cfg_.base_url + "')");
    if (url_.tls) tls_ = make_tls_context(cfg_.ca_file);
}

std::string RemoteProvider::upstream_model(const std::string& model) const {
    auto it = cfg_.models.find(model);
    return it == cfg_.models.end() ? model : it->second;
}

std::string RemoteProvider::timed_out() const {
    return "upstream '" + cfg_.name + "' timed out after " + std::to_string(cfg_.timeout.count()) + " ms";
}

http::request<http::string_body> RemoteProvider::make_request(http::verb verb, const std::string& target,
                                                              const std::string& body, bool stream) const {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, url_.host_header());
    req.set(http::field::user_agent, "switchyard/0.1");
    req.set(http::field::accept, stream ? "text/event-stream" : "application/json");
    if (cfg_.api == RemoteProviderSpec::Api::anthropic) {
        if (!cfg_.api_key.empty()) req.set("x-api-key", cfg_.api_key);
        req.set("anthropic-version", "2023-06-01");   // the one stable version of the Messages API
    } else if (!cfg_.api_key.empty()) {
        req.set(http::field::authorization, "Bearer " + cfg_.api_key);
    }
    if (verb == http::verb::post) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.keep_alive(verb == http::verb::post);  // calls reuse connections (pool_); probes do not
    req.prepare_payload();
    return req;
}

// Errors before any response byte: nothing reached the client, so all of them may be retried
// while time is left; a timeout at the call's deadline ends the call. The message goes to the
// client (every API's error shape) and the request log: it names the provider, never its URL or
// host (internal addresses, maybe credentials in base_url); the config maps the name to them.
void RemoteProvider::transport_failure(const Call& call, const UpstreamConnection& conn, const beast::error_code& ec,
                                       ProviderResult& r, Attempt& a) const {
    using Stage = UpstreamConnection::Stage;
    const std::string who = "upstream '" + cfg_.name + "' ";
    a.verdict = Attempt::Verdict::upstream_fault;
    a.retryable = true;
    r.status = 502;
    if (ec == beast::error::timeout && Clock::now() >= call.deadline - milliseconds(1)) {
        r.status = 504;
        r.error = timed_out();
        a.retryable = false;
    } else if (ec == beast::error::timeout && conn.stage() == Stage::connect) {
        r.status = 504;
        r.error = who + "did not accept a connection within " + std::to_string(cfg_.connect_timeout.count()) + " ms";
    } else if (conn.stage() == Stage::resolve) {
        r.error = who + "is unreachable: its host name could not be resolved (" + ec.message() + ")";
    } else if (conn.stage() == Stage::connect) {
        r.error = who + "is unreachable: " + ec.message();
    } else if (conn.stage() == Stage::tls) {
        r.error = who + "is unreachable: TLS handshake failed (" + ec.message() + ")";
    } else {
        r.error = who + "connection failed (" + to_string(conn.stage()) + "): " + ec.message();
    }
}

asio::awaitable<ProviderResult> RemoteProvider::chat(const json& request, const ChunkSink* sink) {
    Call call;
    call.start = Clock::now();
    call.deadline = call.start + cfg_.timeout;
    call.anthropic = cfg_.api == RemoteProviderSpec::Api::anthropic;
    const char* endpoint = call.anthropic ? "/messages" : "/chat/completions";
    call.target = url_.path + endpoint;
    call.url = url_.str() + endpoint;
    call.sink = sink;

    json body = request;
    if (body.contains("model") && body["model"].is_string()) body["model"] = upstream_model(body["model"].get<std::string>());
    call.stream = sink != nullptr && body.value("stream", false);
    if (call.stream) {
        // Ask for the usage chunk even when the client did not, so cost and token accounting
        // work for streams too; it is kept from the client if it did not ask.
        auto so = body.find("stream_options");
        call.client_wants_usage = so != body.end() && so->is_object() && so->value("include_usage", false);
        if (!call.client_wants_usage) body["stream_options"]["include_usage"] = true;
    } else {
        // No sink to stream to: ask for one complete answer instead.
        body.erase("stream");
        body.erase("stream_options");
    }
    ProviderResult r;
    if (call.anthropic) {
        std::string why;
        std::optional<json> translated = wire::chat_to_anthropic(body, why);
        if (!translated) {
            // Nothing was sent: a request this wire format cannot express is the client's to change.
            r = unsupported_request(cfg_.name, why);
            co_return r;
        }
        body = std::move(*translated);
    }
    call.payload = body.dump(-1, ' ', false, json::error_handler_t::replace);

    bool got_slot = co_await limiter_.acquire(call.deadline);
    if (!got_slot) {
        r.status = 504;
        r.error = timed_out() + " (waiting for one of " + std::to_string(cfg_.max_concurrency) + " concurrent request slots)";
        r.latency_ms = ms_since(call.start);
        co_return r;
    }
    AsyncLimiter::Slot slot(&limiter_);

    auto ex = co_await asio::this_coro::executor;
    for (int n = 0;; ++n) {
        if (!breaker_.allow()) {
            if (n == 0) {
                r.status = 503;
                r.error = "upstream '" + cfg_.name + "' is unavailable: circuit breaker open after " +
                          std::to_string(breaker_.consecutive_failures()) + " consecutive failures (next try in " +
                          std::to_string(breaker_.retry_in().count()) + " ms)";
            }
            break;  // on a retry, the previous attempt's failure stands
        }
        int retries = r.retries;
        r = ProviderResult();
        r.retries = retries;
        Attempt a;
        co_await attempt(call, r, a);
        switch (a.verdict) {
            case Attempt::Verdict::success:
            case Attempt::Verdict::rejected: breaker_.record_success(); break;
            case Attempt::Verdict::upstream_fault: breaker_.record_failure(); break;
            case Attempt::Verdict::abandoned: breaker_.record_abandoned(); break;
        }
        // Never retry once the client has seen output: it would get a second, different answer.
        if (!a.retryable || r.streamed_to_client || n >= cfg_.max_retries) break;
        milliseconds delay = a.retry_after.count() >= 0 ? a.retry_after : backoff(cfg_.retry_backoff, n);
        if (Clock::now() + delay >= call.deadline) break;  // waiting would only end in a timeout
        asio::steady_timer timer(ex);
        timer.expires_after(delay);
        beast::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        ++r.retries;
    }
    r.latency_ms = ms_since(call.start);
    co_return r;
}

asio::awaitable<void> RemoteProvider::attempt(const Call& call, ProviderResult& r, Attempt& a) {
    auto ex = co_await asio::this_coro::executor;
    // Returned to the pool at the end of the attempt if its response was read to the end.
    struct Lease {
        ConnectionPool& pool;
        std::unique_ptr<UpstreamConnection> c;
        ~Lease() { pool.give_back(std::move(c)); }
    } lease{pool_, pool_.take()};
    bool reused = lease.c != nullptr;
    beast::error_code ec;
    auto req = make_request(http::verb::post, call.target, call.payload, call.stream);
    for (;;) {
        if (!lease.c) {
            lease.c = std::make_unique<UpstreamConnection>(ex, tls_, url_);
            co_await lease.c->connect(call.deadline, Clock::now() + cfg_.connect_timeout, ec);
        }
        if (!ec) co_await lease.c->write(req, call.deadline, ec);
        if (!ec) co_await lease.c->read_header(call.deadline, ec);
        // A kept-alive connection the upstream closed meanwhile fails before any response byte:
        // that says nothing about the upstream's health, so try once more on a new connection.
        if (ec && reused && ec != beast::error::timeout) {
            lease.c->close();
            lease.c.reset();
            reused = false;
            ec = {};
            continue;
        }
        break;
    }
    UpstreamConnection& conn = *lease.c;
    if (ec) {
        transport_failure(call, conn, ec, r, a);
        co_return;
    }

    const std::string who = "upstream '" + cfg_.name + "' ";
    int status = conn.status();
    if (status >= 400) {
        std::string body;
        while (!ec && !conn.body_done() && body.size() < kMaxErrorBytes) co_await conn.read_some(body, call.deadline, ec);
        r.status = status;
        r.error = who + "returned HTTP " + std::to_string(status) + ": " + upstream_error_message(body, r.error_body);
        if (call.anthropic) {
            // {"type": "error", "error": {"type": "not_found_error", ...}} -> an OpenAI error object.
            json e = wire::anthropic_error_to_openai(r.error_body);
            if (!e.is_null()) r.error_body = std::move(e);
        }
        a.verdict = status >= 500 ? Attempt::Verdict::upstream_fault : Attempt::Verdict::rejected;
        a.retryable = status >= 500 || status == 429;
        if (status == 429) a.retry_after = parse_retry_after(conn.header("Retry-After"));
        co_return;
    }
    if (status < 200 || status >= 300) {
        r.status = 502;
        r.error = who + "returned unexpected HTTP " + std::to_string(status);
        a.verdict = Attempt::Verdict::upstream_fault;
        co_return;
    }
    if (call.stream && conn.header("Content-Type").value_or("").find("application/json") == std::string::npos) {
        co_await read_stream(call, conn, r, a);
        co_return;
    }

    // A complete answer (or an upstream that ignored "stream": true, caught below).
    std::string body;
    while (!ec && !conn.body_done() && body.size() <= kMaxResponseBytes) co_await conn.read_some(body, call.deadline, ec);
    if (ec) {
        transport_failure(call, conn, ec, r, a);
        co_return;
    }
    a.verdict = Attempt::Verdict::upstream_fault;
    r.status = 502;
    if (!conn.body_done()) {
        r.error = who + "sent a response larger than " + std::to_string(kMaxResponseBytes >> 20) + " MiB";
        co_return;
    }
    json parsed = json::parse(body, nullptr, false);
    std::string why = parsed.is_discarded() ? "not JSON: " + body.substr(0, 200) : "";
    if (why.empty() && call.anthropic) {
        std::optional<json> completion = wire::anthropic_to_completion(parsed, r.stop_sequence, why);
        if (completion) parsed = std::move(*completion);
    }
    if (why.empty()) read_completion(parsed, r, why);
    if (!why.empty()) {
        r.error = who + "returned an invalid response: " + why;
        co_return;
    }
    if (call.stream) {
        r.status = 502;
        r.error = who + "answered a streaming request with a complete JSON response (streaming not supported?)";
        co_return;
    }
    r.status = 200;
    a.verdict = Attempt::Verdict::success;
}

// Relays SSE events to the sink as they arrive and folds them into the result.
asio::awaitable<void> RemoteProvider::read_stream(const Call& call, UpstreamConnection& conn, ProviderResult& r,
                                                  Attempt& a) {
    const std::string who = "upstream '" + cfg_.name + "' ";
    SseDecoder sse;
    wire::AnthropicStreamDecoder messages;   // call.anthropic: its events become chunks
    std::string bytes, data;
    int chunks = 0;
    bool done = false;
    beast::error_code ec;
    while (!done) {
        while (!done && sse.next(data)) {
            if (data == "[DONE]" && !call.anthropic) {
                done = true;
                break;
            }
            json chunk = json::parse(data, nullptr, false);
            if (chunk.is_discarded() || !chunk.is_object()) {
                r.status = 502;
                r.error = who + "sent a malformed stream " + (call.anthropic ? "event: " : "chunk: ") + data.substr(0, 200);
                a.verdict = Attempt::Verdict::upstream_fault;
                a.retryable = !r.streamed_to_client;
                conn.close();
                co_return;
            }
            std::vector<json> relay;
            if (call.anthropic) {
                relay = messages.feed(chunk);
                if (messages.failed()) {
                    r.status = 502;
                    r.error = who + "reported an error mid-stream: " + upstream_error_message(data, r.error_body);
                    r.error_body = wire::anthropic_error_to_openai(messages.error());
                    a.verdict = Attempt::Verdict::upstream_fault;
                    a.retryable = !r.streamed_to_client;
                    conn.close();
                    co_return;
                }
                done = messages.done();
                r.stop_sequence = messages.stop_sequence();
            } else if (chunk.contains("error") && !chunk.contains("choices")) {
                // OpenAI and OpenRouter report failures after the headers as an error event.
                r.status = 502;
                r.error = who + "reported an error mid-stream: " + upstream_error_message(data, r.error_body);
                a.verdict = Attempt::Verdict::upstream_fault;
                a.retryable = !r.streamed_to_client;
                conn.close();
                co_return;
            } else {
                relay.push_back(std::move(chunk));
            }
            for (json& c : relay) {
                ++chunks;
                accumulate_chunk(c, r);
                if (!call.client_wants_usage) {
                    // We asked for usage on the client's behalf: keep that chunk (and field) from it.
                    c.erase("usage");
                    if (c.value("choices", json::array()).empty()) continue;
                }
                if (!r.streamed_to_client) r.ttft_ms = ms_since(call.start);
                r.streamed_to_client = true;
                bool client_alive = co_await (*call.sink)(c);
                if (!client_alive) {
                    conn.close();  // stop the upstream generating (and billing) for nobody
                    r.status = 499;
                    r.error = "client disconnected during the stream from upstream '" + cfg_.name + "'";
                    a.verdict = Attempt::Verdict::abandoned;
                    co_return;
                }
            }
        }
        if (done || conn.body_done()) break;
        bytes.clear();
        co_await conn.read_some(bytes, call.deadline, ec);
        if (ec) break;
        sse.feed(bytes);
    }
    conn.close();
    // A server that ends the body cleanly after a finish_reason but without [DONE] (or
    // message_stop) is accepted.
    if (done || (!ec && !r.finish_reason.empty())) {
        r.status = 200;
        a.verdict = Attempt::Verdict::success;
        co_return;
    }
    a.verdict = Attempt::Verdict::upstream_fault;
    a.retryable = !r.streamed_to_client;
    if (ec == beast::error::timeout) {
        r.status = 504;
        r.error = timed_out() + " (after " + std::to_string(chunks) + " stream chunks)";
        a.retryable = false;
        co_return;
    }
    r.status = 502;
    r.error = who + "closed the stream early after " + std::to_string(chunks) + " chunks";
    if (ec) r.error += " (" + ec.message() + ")";
}

RemoteProvider::~RemoteProvider() {
    alive_->store(false);
    if (probe_timer_) probe_timer_->cancel();
}

void RemoteProvider::start_health_probes() {
    if (cfg_.breaker_failures <= 0 || probe_timer_) return;
    auto strand = asio::make_strand(ex_);
    probe_timer_ = std::make_unique<asio::steady_timer>(strand);
    asio::co_spawn(strand, health_loop(alive_), asio::detached);
}

// `alive` is checked after every wait: the provider may be gone by the time the timer fires.
asio::awaitable<void> RemoteProvider::health_loop(std::shared_ptr<std::atomic<bool>> alive) {
    const auto period = std::max<milliseconds>(cfg_.breaker_cooldown / 2, milliseconds(100));
    for (;;) {
        beast::error_code ec;
        probe_timer_->expires_after(period);
        co_await probe_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!alive->load() || ec == asio::error::operation_aborted) co_return;
        // Only as the half-open trial: allow() hands out that single slot, so a probe never
        // races a user request's trial, and a closed breaker is never probed.
        if (breaker_.state() == CircuitBreaker::State::half_open && breaker_.allow()) co_await probe();
        if (!alive->load()) co_return;
    }
}

asio::awaitable<bool> RemoteProvider::probe() {
    Call call;
    call.start = Clock::now();
    call.deadline = call.start + std::min<milliseconds>(cfg_.timeout, std::chrono::seconds(10));
    call.url = url_.str() + "/models";
    UpstreamConnection conn(ex_, tls_, url_);
    beast::error_code ec;
    co_await conn.connect(call.deadline, Clock::now() + cfg_.connect_timeout, ec);
    if (!ec) {
        std::string empty;
        auto req = make_request(http::verb::get, url_.path + "/models", empty, false);
        co_await conn.write(req, call.deadline, ec);
    }
    if (!ec) co_await conn.read_header(call.deadline, ec);
    // Any answer below 500 proves the server is up (a 401 or 404 on /models included).
    bool healthy = !ec && conn.status() < 500;
    conn.close();
    if (healthy) breaker_.record_success();
    else breaker_.record_failure();
    co_return healthy;
}

}  // namespace switchyard::providers
