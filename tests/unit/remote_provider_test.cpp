// RemoteProvider against a fault-injecting fake upstream (tests/support/fault_upstream.py, a
// subprocess): answers, streams, retries, timeouts, the circuit breaker and its health probes,
// connection reuse, TLS. The pure pieces are in provider_parts_test.cpp.
#include "providers/circuit_breaker.h"
#include "providers/openai_stream.h"
#include "providers/remote_provider.h"
#include "remote_provider_fixture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using namespace switchyard::providers;
using switchyard::RemoteProviderSpec;
using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

using fault_upstream::FakeUpstream;
using fault_upstream::get_json;

int free_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();  // closed again on return: nothing listens there
}

class RemoteProviderTest : public fault_upstream::ProviderTest {
protected:
    RemoteProviderSpec config() { return upstream_config("fault", RemoteProviderSpec::Api::openai); }

    bool run_probe(RemoteProvider& p) {
        std::optional<bool> out;
        asio::co_spawn(io_, p.probe(), [&](std::exception_ptr, bool ok) { out = ok; });
        io_.restart();
        io_.run_for(30s);
        return out.value_or(false);
    }

    int requests_for(const std::string& model) {
        int n = 0;
        for (const auto& body : get_json(upstream_->port(), "/__requests"))
            if (body.is_object() && body.value("model", "") == model) ++n;
        return n;
    }
};

// Collects what a client would have received.
struct Collector {
    std::vector<json> chunks;
    std::vector<Clock::time_point> arrivals;
    int stop_after = -1;  // report the client gone after this many chunks
    ChunkSink sink = [this](json& chunk) -> asio::awaitable<bool> {
        chunks.push_back(chunk);
        arrivals.push_back(Clock::now());
        co_return stop_after < 0 || static_cast<int>(chunks.size()) < stop_after;
    };
};

TEST_F(RemoteProviderTest, NonStreamedAnswer) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "ok"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.content, "hello from upstream");
    EXPECT_EQ(r.prompt_tokens, 5);
    EXPECT_EQ(r.completion_tokens, 3);
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.response["object"], "chat.completion");
    EXPECT_FALSE(r.streamed_to_client);
    EXPECT_EQ(r.retries, 0);
    EXPECT_GT(r.latency_ms, 0);
    EXPECT_FALSE(p.is_local());
}

// Requests the upstream recorded for one model name, with the client port they came from.
std::vector<json> requests_from(int port, const std::string& model) {
    std::vector<json> out;
    for (const auto& r : get_json(port, "/__requests?detail=1"))
        if (r["body"].is_object() && r["body"].value("model", "") == model) out.push_back(r);
    return out;
}

TEST_F(RemoteProviderTest, KeepAliveConnectionsAreReused) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "ok#reuse"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    for (int i = 0; i < 3; ++i) {
        auto r = run(p.chat(req, nullptr));
        ASSERT_EQ(r.status, 200) << r.error;
        EXPECT_EQ(p.idle_connections(), 1u) << "the connection went back to the pool";
    }
    auto seen = requests_from(upstream_->port(), "ok#reuse");
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0]["peer"], seen[1]["peer"]);
    EXPECT_EQ(seen[1]["peer"], seen[2]["peer"]) << "one TCP connection served all three calls";
}

TEST_F(RemoteProviderTest, AKeptAliveConnectionTheUpstreamDroppedIsReplacedQuietly) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "hangup-after#stale"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    auto first = run(p.chat(req, nullptr));
    ASSERT_EQ(first.status, 200) << first.error;
    std::this_thread::sleep_for(100ms);  // the upstream closes its end after answering
    auto second = run(p.chat(req, nullptr));
    EXPECT_EQ(second.status, 200) << second.error;
    EXPECT_EQ(second.retries, 0) << "a stale pooled connection is not an upstream failure";
    EXPECT_EQ(p.breaker().consecutive_failures(), 0);
    auto seen = requests_from(upstream_->port(), "hangup-after#stale");
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen[0]["peer"], seen[1]["peer"]) << "the second call had to open a new connection";
}

TEST_F(RemoteProviderTest, StreamedAnswerRelaysChunksInOrderAndReadsUsage) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "ok"}, {"stream", true}, {"messages", json::array()}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.content, "hello from upstream");
    EXPECT_EQ(r.prompt_tokens, 5);  // asked for on the client's behalf...
    EXPECT_EQ(r.completion_tokens, 3);
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_TRUE(r.streamed_to_client);
    EXPECT_GE(r.ttft_ms, 0);
    std::string text;
    for (const auto& ch : c.chunks) {
        EXPECT_FALSE(ch.contains("usage"));  // ...but not shown to a client that did not ask
        ASSERT_FALSE(ch["choices"].empty());
        text += ch["choices"][0]["delta"].value("content", "");
    }
    EXPECT_EQ(text, "hello from upstream");
    ASSERT_EQ(c.chunks.size(), 5u);  // role, 3 pieces, finish
    EXPECT_EQ(c.chunks[1]["choices"][0]["delta"]["content"], "hello");
    EXPECT_EQ(c.chunks[3]["choices"][0]["delta"]["content"], " upstream");
}

TEST_F(RemoteProviderTest, StreamedUsageChunkReachesClientThatAskedForIt) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "ok"}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    ASSERT_EQ(r.status, 200) << r.error;
    ASSERT_FALSE(c.chunks.empty());
    EXPECT_EQ(c.chunks.back()["usage"]["completion_tokens"], 3);
}

TEST_F(RemoteProviderTest, ChunksArriveAsTheyAreSent) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "trickle:300"}, {"stream", true}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    ASSERT_EQ(r.status, 200) << r.error;
    ASSERT_GE(c.chunks.size(), 4u);
    // The upstream waits 300 ms before each of 3 pieces: buffered relaying would bunch them up.
    EXPECT_GE(c.arrivals.back() - c.arrivals[1], 500ms);
    EXPECT_GE(c.arrivals[2] - c.arrivals[1], 200ms);
}

TEST_F(RemoteProviderTest, ModelMapAndAuthorizationReachUpstream) {
    auto cfg = config();
    cfg.models = {{"mine", "echo"}, {"mine-headers", "echo-headers"}};
    cfg.api_key = "sk-test-123";
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "mine"}, {"temperature", 0.5}, {"messages", json::array({{{"role", "user"}, {"content", "x"}}})}};
    auto r = run(p.chat(req, nullptr));
    ASSERT_EQ(r.status, 200) << r.error;
    json seen = json::parse(r.content);
    EXPECT_EQ(seen["model"], "echo");
    EXPECT_EQ(seen["temperature"], 0.5);
    EXPECT_EQ(seen["messages"], req["messages"]);
    EXPECT_FALSE(seen.contains("stream"));

    json hreq = {{"model", "mine-headers"}};
    auto h = run(p.chat(hreq, nullptr));
    ASSERT_EQ(h.status, 200) << h.error;
    json headers = json::parse(h.content);
    EXPECT_EQ(headers["authorization"], "Bearer sk-test-123");
    EXPECT_EQ(headers["content-type"], "application/json");
    EXPECT_EQ(p.upstream_model("unmapped"), "unmapped");
}

TEST_F(RemoteProviderTest, NoAuthorizationWithoutKeyAndNoStreamWithoutSink) {
    RemoteProvider p(io_.get_executor(), config());
    json hreq = {{"model", "echo-headers"}};
    auto h = run(p.chat(hreq, nullptr));
    ASSERT_EQ(h.status, 200) << h.error;
    EXPECT_FALSE(json::parse(h.content).contains("authorization"));

    json req = {{"model", "echo"}, {"stream", true}};  // stream asked, but nobody to stream to
    auto r = run(p.chat(req, nullptr));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_FALSE(json::parse(r.content).contains("stream"));
}

TEST_F(RemoteProviderTest, RetriesServerErrorsThenSucceeds) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "fail500-then-ok:2#retry"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.retries, 2);
    EXPECT_EQ(r.content, "hello from upstream");
    EXPECT_EQ(requests_for("fail500-then-ok:2#retry"), 3);
    EXPECT_EQ(p.breaker().consecutive_failures(), 0);
}

TEST_F(RemoteProviderTest, GivesUpAfterMaxRetriesWithUpstreamError) {
    auto cfg = config();
    cfg.max_retries = 1;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "fail500#giveup"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.retries, 1);
    EXPECT_EQ(r.error, "upstream 'fault' returned HTTP 500: injected failure");
    EXPECT_EQ(r.error_body["type"], "server_error");
    EXPECT_EQ(requests_for("fail500#giveup"), 2);
}

TEST_F(RemoteProviderTest, RateLimitIsRetriedAfterRetryAfter) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "rate-limited#one"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.retries, 1);
    EXPECT_GE(r.latency_ms, 900);  // honoured "Retry-After: 1" instead of the 10 ms backoff
}

TEST_F(RemoteProviderTest, ClientErrorsAreNotRetriedAndDoNotTripTheBreaker) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "bad-request#x"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.retries, 0);
    EXPECT_NE(r.error.find("returned HTTP 400: injected bad request"), std::string::npos) << r.error;
    EXPECT_EQ(p.breaker().consecutive_failures(), 0);
}

TEST_F(RemoteProviderTest, NoRetryOnceStreamingStarted) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "drop-mid-stream#s"}, {"stream", true}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.error.find("upstream 'fault' closed the stream early after 2 chunks"), std::string::npos) << r.error;
    EXPECT_TRUE(r.streamed_to_client);
    EXPECT_EQ(r.retries, 0);
    EXPECT_EQ(c.chunks.size(), 2u);
    EXPECT_EQ(r.content, "hello");
    EXPECT_EQ(requests_for("drop-mid-stream#s"), 1);
}

TEST_F(RemoteProviderTest, MalformedChunkIs502) {
    auto cfg = config();
    cfg.max_retries = 0;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "malformed"}, {"stream", true}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.error.find("upstream 'fault' sent a malformed stream chunk: {this is not json"), std::string::npos) << r.error;
    EXPECT_TRUE(c.chunks.empty());

    json plain = {{"model", "malformed"}};
    auto n = run(p.chat(plain, nullptr));
    EXPECT_EQ(n.status, 502);
    EXPECT_NE(n.error.find("returned an invalid response"), std::string::npos) << n.error;
}

TEST_F(RemoteProviderTest, ErrorEventMidStream) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "error-event"}, {"stream", true}};
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.error.find("reported an error mid-stream: injected mid-stream failure"), std::string::npos) << r.error;
    EXPECT_EQ(r.error_body["type"], "server_error");
}

TEST_F(RemoteProviderTest, ToolCallsAndLogprobs) {
    RemoteProvider p(io_.get_executor(), config());
    json sreq = {{"model", "tools"}, {"stream", true}};
    Collector c;
    auto s = run(p.chat(sreq, &c.sink));
    ASSERT_EQ(s.status, 200) << s.error;
    ASSERT_EQ(s.tool_calls.size(), 1u);
    EXPECT_EQ(s.tool_calls[0]["id"], "call_1");
    EXPECT_EQ(s.tool_calls[0]["function"]["name"], "get_weather");
    EXPECT_EQ(s.tool_calls[0]["function"]["arguments"], "{\"city\": \"Paris\"}");
    EXPECT_EQ(s.finish_reason, "tool_calls");

    json nreq = {{"model", "tools"}};
    auto n = run(p.chat(nreq, nullptr));
    ASSERT_EQ(n.status, 200) << n.error;
    EXPECT_EQ(n.tool_calls, s.tool_calls);
    EXPECT_EQ(n.content, "");

    json lreq = {{"model", "ok"}, {"logprobs", true}};
    auto l = run(p.chat(lreq, nullptr));
    EXPECT_EQ(l.token_logprobs, (std::vector<float>{-0.5f, -1.0f, -1.5f}));
    lreq["stream"] = true;
    Collector c2;
    auto ls = run(p.chat(lreq, &c2.sink));
    EXPECT_EQ(ls.token_logprobs, (std::vector<float>{-0.5f, -1.0f, -1.5f}));
}

TEST_F(RemoteProviderTest, WholeCallTimeout) {
    auto cfg = config();
    cfg.timeout = 500ms;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "slow"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.error, "upstream 'fault' timed out after 500 ms");
    EXPECT_LT(r.latency_ms, 1500);
    EXPECT_EQ(r.retries, 0);
}

TEST_F(RemoteProviderTest, SinkReportingClientGoneCancelsUpstream) {
    RemoteProvider p(io_.get_executor(), config());
    json req = {{"model", "trickle:300"}, {"stream", true}};
    Collector c;
    c.stop_after = 2;
    auto r = run(p.chat(req, &c.sink));
    EXPECT_EQ(r.status, 499);
    EXPECT_EQ(c.chunks.size(), 2u);
    EXPECT_LT(r.latency_ms, 800);  // did not wait for the rest of the stream
    EXPECT_EQ(p.in_flight(), 0);
}

TEST_F(RemoteProviderTest, ConcurrencyLimitQueuesCallers) {
    auto cfg = config();
    cfg.max_concurrency = 1;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "slow:0.4"}};
    std::vector<ProviderResult> results;
    auto start = Clock::now();
    for (int i = 0; i < 3; ++i)
        asio::co_spawn(io_, p.chat(req, nullptr), [&](std::exception_ptr, ProviderResult r) { results.push_back(r); });
    io_.run_for(30s);
    auto took = Clock::now() - start;
    ASSERT_EQ(results.size(), 3u);
    for (auto& r : results) EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_GE(took, 1150ms);  // one at a time: 3 x 400 ms
    EXPECT_EQ(p.in_flight(), 0);
}

TEST_F(RemoteProviderTest, CircuitBreakerOpensThenHalfOpens) {
    auto cfg = config();
    cfg.max_retries = 0;
    cfg.breaker_failures = 3;
    cfg.breaker_cooldown = 300ms;
    RemoteProvider p(io_.get_executor(), cfg);
    json bad = {{"model", "fail500#breaker"}};
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(p.available());
        EXPECT_EQ(run(p.chat(bad, nullptr)).status, 500);
    }
    EXPECT_FALSE(p.available());
    EXPECT_EQ(p.breaker().state(), CircuitBreaker::State::open);
    auto r = run(p.chat(bad, nullptr));
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.error.find("circuit breaker open after 3 consecutive failures"), std::string::npos) << r.error;
    EXPECT_EQ(requests_for("fail500#breaker"), 3);  // the open breaker sent nothing

    std::this_thread::sleep_for(350ms);
    EXPECT_TRUE(p.available());
    EXPECT_EQ(p.breaker().state(), CircuitBreaker::State::half_open);
    EXPECT_EQ(run(p.chat(bad, nullptr)).status, 500);  // the trial fails: open again
    EXPECT_FALSE(p.available());

    std::this_thread::sleep_for(350ms);
    json good = {{"model", "ok"}};
    EXPECT_EQ(run(p.chat(good, nullptr)).status, 200);  // the trial succeeds: closed
    EXPECT_EQ(p.breaker().state(), CircuitBreaker::State::closed);
    EXPECT_TRUE(p.available());
}

TEST_F(RemoteProviderTest, HealthProbesCloseTheBreakerWithoutAUserRequest) {
    auto cfg = config();
    cfg.max_retries = 0;
    cfg.breaker_failures = 2;
    cfg.breaker_cooldown = 300ms;
    RemoteProvider p(io_.get_executor(), cfg);
    p.start_health_probes();
    json bad = {{"model", "fail500#probes"}};
    for (int i = 0; i < 2; ++i) EXPECT_EQ(run(p.chat(bad, nullptr)).status, 500);
    EXPECT_EQ(p.breaker().state(), CircuitBreaker::State::open);
    // Nothing but the probe loop runs now: /v1/models answers, so the breaker closes on its own.
    io_.restart();
    io_.run_for(900ms);
    EXPECT_EQ(p.breaker().state(), CircuitBreaker::State::closed);
    EXPECT_EQ(p.breaker().consecutive_failures(), 0);
    EXPECT_EQ(requests_for("fail500#probes"), 2) << "no chat request was spent as the trial";
}

TEST_F(RemoteProviderTest, HealthProbesKeepADeadUpstreamOpen) {
    auto cfg = config();
    cfg.base_url = "http://127.0.0.1:" + std::to_string(free_port()) + "/v1";  // nothing listens
    cfg.max_retries = 0;
    cfg.breaker_failures = 1;
    cfg.breaker_cooldown = 200ms;
    cfg.connect_timeout = 200ms;
    RemoteProvider p(io_.get_executor(), cfg);
    p.start_health_probes();
    json req = {{"model", "ok"}};
    EXPECT_EQ(run(p.chat(req, nullptr)).status, 502);
    io_.restart();
    io_.run_for(700ms);
    EXPECT_NE(p.breaker().state(), CircuitBreaker::State::closed) << "failed probes re-open the breaker";
    EXPECT_GE(p.breaker().consecutive_failures(), 2) << "the probe ran and failed";
}

TEST_F(RemoteProviderTest, ProbeClosesTheBreaker) {
    auto cfg = config();
    cfg.max_retries = 0;
    cfg.breaker_failures = 1;
    cfg.breaker_cooldown = 1h;
    RemoteProvider p(io_.get_executor(), cfg);
    json bad = {{"model", "fail500#probe"}};
    run(p.chat(bad, nullptr));
    EXPECT_FALSE(p.available());
    EXPECT_TRUE(run_probe(p));
    EXPECT_TRUE(p.available());

    auto dead = config();
    dead.base_url = "http://127.0.0.1:" + std::to_string(free_port()) + "/v1";
    RemoteProvider d(io_.get_executor(), dead);
    EXPECT_FALSE(run_probe(d));
}

TEST_F(RemoteProviderTest, RefusedConnectionNamesTheProviderNotTheUrl) {
    auto cfg = config();
    int port = free_port();
    cfg.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1/";
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "ok"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.error.rfind("upstream 'fault' is unreachable: ", 0), 0u) << r.error;
    EXPECT_EQ(r.error.find("127.0.0.1"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(std::to_string(port)), std::string::npos) << r.error;
    EXPECT_EQ(r.retries, 2);  // connect errors are retried
    EXPECT_EQ(p.breaker().consecutive_failures(), 3);
}

TEST_F(RemoteProviderTest, UnknownHostNamesTheProviderNotTheHost) {
    auto cfg = config();
    cfg.base_url = "http://no-such-host.invalid/v1";  // .invalid never resolves (RFC 2606)
    cfg.max_retries = 0;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = {{"model", "ok"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.error.rfind("upstream 'fault' is unreachable: its host name could not be resolved", 0), 0u) << r.error;
    EXPECT_EQ(r.error.find("no-such-host"), std::string::npos) << r.error;
}

TEST_F(RemoteProviderTest, BadBaseUrlIsRejectedAtConstruction) {
    auto cfg = config();
    cfg.base_url = "ftp://example.com/v1";
    EXPECT_THROW(RemoteProvider(io_.get_executor(), cfg), std::invalid_argument);
    cfg.base_url = "http://:8080/v1";
    EXPECT_THROW(RemoteProvider(io_.get_executor(), cfg), std::invalid_argument);
}

// HTTPS against a self-signed certificate: rejected with the system trust store alone, accepted
// once the certificate is configured as ca_file. Needs the openssl command line tool.
TEST_F(RemoteProviderTest, HttpsVerifiesTheServerCertificate) {
    auto dir = fs::temp_directory_path() / ("switchyard-tls-" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl command line tool not available";
    FakeUpstream tls({"--tls-cert", cert, "--tls-key", key});
    ASSERT_GT(tls.port(), 0);
    auto cfg = config();
    cfg.base_url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/v1";
    cfg.max_retries = 0;
    json req = {{"model", "ok"}, {"stream", true}};
    {
        RemoteProvider p(io_.get_executor(), cfg);
        Collector c;
        auto r = run(p.chat(req, &c.sink));
        EXPECT_EQ(r.status, 502);
        EXPECT_NE(r.error.find("upstream 'fault' is unreachable: TLS handshake failed"), std::string::npos) << r.error;
        EXPECT_EQ(r.error.find("127.0.0.1"), std::string::npos) << r.error;
        EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
    }
    cfg.ca_file = cert;
    RemoteProvider p(io_.get_executor(), cfg);
    Collector c;
    auto r = run(p.chat(req, &c.sink));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.content, "hello from upstream");

    // The whole-call deadline also interrupts a TLS read.
    cfg.timeout = 500ms;
    RemoteProvider slow(io_.get_executor(), cfg);
    json sreq = {{"model", "slow"}};
    auto t = run(slow.chat(sreq, nullptr));
    EXPECT_EQ(t.status, 504);
    EXPECT_EQ(t.error, "upstream 'fault' timed out after 500 ms");
    fs::remove_all(dir);
}

}  // namespace

namespace {

// Options that forward the client's own `text` (CallOptions::raw_body) to the tier model "tier-model".
CallOptions forwarding(const std::string& text) {
    static const std::string tier_model = "tier-model";
    CallOptions opt;
    opt.raw_body = text;
    opt.model = &tier_model;
    return opt;
}

// The client's own text, forwarded with only "model" replaced (CallOptions::raw_body): every
// other byte arrives as sent (key order, spelling of numbers, escapes, unknown fields).
TEST_F(RemoteProviderTest, ForwardedBodyKeepsEveryClientFieldAndChangesOnlyTheModel) {
    auto cfg = config();
    cfg.models = {{"tier-model", "echo-raw"}};
    RemoteProvider p(io_.get_executor(), cfg);
    const std::string text =
        R"({"model": "my-route",  "messages":[{"role":"user","content":"caf\u00e9 \"q\" {model}","model":"inner"}],)"
        R"( "temperature":1.0e0, "top_p": 0.90, "x_vendor_field": {"model": [1, 2, {"a": null}]}, "seed": 7})";
    json req = json::parse(text);
    auto r = run(p.call(req, nullptr, forwarding(text)));
    ASSERT_EQ(r.status, 200) << r.error;
    std::string expected = text;
    expected.replace(expected.find("\"my-route\""), std::string("\"my-route\"").size(), "\"echo-raw\"");
    EXPECT_EQ(r.content, expected);
    // The same fields a parse-and-dump would have sent, so the upstream sees the same request.
    json want = req;
    want["model"] = "echo-raw";
    EXPECT_EQ(json::parse(r.content), want);
}

TEST_F(RemoteProviderTest, ForwardedStreamAsksForUsageAndKeepsTheRest) {
    auto cfg = config();
    cfg.models = {{"tier-model", "echo-raw"}};
    RemoteProvider p(io_.get_executor(), cfg);
    const std::string text = R"({"stream": true, "model":"r", "messages": [], "n": 1})";
    json req = json::parse(text);
    Collector c;
    auto r = run(p.call(req, &c.sink, forwarding(text)));
    ASSERT_EQ(r.status, 200) << r.error;
    json seen = json::parse(r.content);
    json want = req;
    want["model"] = "echo-raw";
    want["stream_options"] = {{"include_usage", true}};
    EXPECT_EQ(seen, want);
    for (const auto& ch : c.chunks) EXPECT_FALSE(ch.contains("usage")) << "usage asked for on the client's behalf stays hidden";
}

// Bodies that need more than the model changed take the parsed copy, as before.
TEST_F(RemoteProviderTest, BodiesThatNeedMoreThanTheModelChangedAreReserialised) {
    auto cfg = config();
    cfg.models = {{"tier-model", "echo"}};
    RemoteProvider p(io_.get_executor(), cfg);
    const std::string text = R"({"model":"r","stream":true,"messages":[]})";   // streamed, but no sink
    json req = json::parse(text);
    auto r = run(p.call(req, nullptr, forwarding(text)));
    ASSERT_EQ(r.status, 200) << r.error;
    json seen = json::parse(r.content);
    EXPECT_EQ(seen["model"], "echo");
    EXPECT_FALSE(seen.contains("stream"));
}

}  // namespace
