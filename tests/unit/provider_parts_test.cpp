// The remote provider's pure pieces, without a network: circuit breaker state machine (with
// an injected clock), the async concurrency limiter, SSE decoding, chunk accumulation and
// upstream error shapes, URL parsing.
#include "providers/async_limiter.h"
#include "providers/circuit_breaker.h"
#include "providers/openai_stream.h"
#include "providers/upstream_http.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace {

namespace asio = boost::asio;
using namespace switchyard::providers;
using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;


TEST(CircuitBreaker, StateMachineWithInjectedClock) {
    auto now = std::make_shared<Clock::time_point>(Clock::now());
    CircuitBreaker b(3, 1000ms, [now] { return *now; });
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(b.allow());
        b.record_failure();
    }
    EXPECT_TRUE(b.available());
    ASSERT_TRUE(b.allow());
    b.record_success();  // a success resets the run
    EXPECT_EQ(b.consecutive_failures(), 0);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(b.allow());
        b.record_failure();
    }
    EXPECT_EQ(b.state(), CircuitBreaker::State::open);
    EXPECT_FALSE(b.available());
    EXPECT_FALSE(b.allow());
    EXPECT_EQ(b.retry_in(), 1000ms);

    *now += 999ms;
    EXPECT_FALSE(b.allow());
    *now += 1ms;
    EXPECT_EQ(b.state(), CircuitBreaker::State::half_open);
    EXPECT_TRUE(b.available());
    EXPECT_TRUE(b.allow());    // the one trial
    EXPECT_FALSE(b.available());
    EXPECT_FALSE(b.allow());   // no second request while the trial runs
    b.record_abandoned();      // trial told us nothing: next caller may try
    EXPECT_TRUE(b.allow());
    b.record_failure();        // trial failed: open for a full cooldown again
    EXPECT_EQ(b.state(), CircuitBreaker::State::open);
    *now += 500ms;
    EXPECT_FALSE(b.available());
    *now += 500ms;
    EXPECT_TRUE(b.allow());
    b.record_success();
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
    EXPECT_TRUE(b.allow());
    EXPECT_TRUE(b.allow());  // closed: no trial limit
}

TEST(CircuitBreaker, DisabledNeverOpens) {
    CircuitBreaker b(0, 1000ms);
    for (int i = 0; i < 100; ++i) b.record_failure();
    EXPECT_TRUE(b.available());
    EXPECT_TRUE(b.allow());
}

asio::awaitable<void> limited_worker(AsyncLimiter& lim, std::atomic<int>& current, std::atomic<int>& peak,
                                    std::atomic<int>& done) {
    Clock::time_point deadline = Clock::now() + 30s;
    bool got = co_await lim.acquire(deadline);
    if (!got) co_return;
    AsyncLimiter::Slot slot(&lim);
    int now = ++current;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(1ms);
    co_await t.async_wait(asio::use_awaitable);
    --current;
    ++done;
}

TEST(AsyncLimiter, CapsInFlightAcrossThreads) {
    asio::io_context io(4);
    AsyncLimiter lim(3);
    std::atomic<int> current{0}, peak{0}, done{0};
    for (int i = 0; i < 300; ++i) asio::co_spawn(io, limited_worker(lim, current, peak, done), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&io] { io.run(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(done, 300);
    EXPECT_LE(peak, 3);
    EXPECT_GE(peak, 2);
    EXPECT_EQ(lim.in_flight(), 0);
    EXPECT_EQ(lim.waiting(), 0);
}

asio::awaitable<bool> acquire_until(AsyncLimiter& lim, const Clock::time_point& deadline) {
    co_return co_await lim.acquire(deadline);
}

TEST(AsyncLimiter, WaiterGivesUpAtItsDeadline) {
    asio::io_context io;
    AsyncLimiter lim(1);
    Clock::time_point far = Clock::now() + 1h, soon = Clock::now() + 50ms;
    std::vector<bool> got;
    asio::co_spawn(io, acquire_until(lim, far), [&](std::exception_ptr, bool ok) { got.push_back(ok); });
    asio::co_spawn(io, acquire_until(lim, soon), [&](std::exception_ptr, bool ok) { got.push_back(ok); });
    auto start = Clock::now();
    io.run_for(5s);
    EXPECT_EQ(got, (std::vector<bool>{true, false}));
    EXPECT_GE(Clock::now() - start, 45ms);
    EXPECT_EQ(lim.in_flight(), 1);  // the first one still holds its slot
    EXPECT_EQ(lim.waiting(), 0);
    lim.release();
    EXPECT_EQ(lim.in_flight(), 0);
}

TEST(SseDecoder, EventsAcrossArbitraryReadBoundaries) {
    std::string wire = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n";
    for (std::size_t step : {1u, 3u, 7u, 1000u}) {
        SseDecoder d;
        std::vector<std::string> events;
        std::string ev;
        for (std::size_t i = 0; i < wire.size(); i += step) {
            d.feed(std::string_view(wire).substr(i, step));
            while (d.next(ev)) events.push_back(ev);
        }
        ASSERT_EQ(events.size(), 3u) << "step " << step;
        EXPECT_EQ(events[0], "{\"a\":1}");
        EXPECT_EQ(events[1], "line1\nline2");
        EXPECT_EQ(events[2], "[DONE]");
        EXPECT_EQ(d.pending(), 0u);
    }
}

TEST(OpenAiStream, UpstreamErrorShapes) {
    json body;
    EXPECT_EQ(upstream_error_message(R"({"error":{"message":"bad key","type":"auth"}})", body), "bad key");
    EXPECT_EQ(body["type"], "auth");
    json b2;
    EXPECT_EQ(upstream_error_message(R"({"detail":"Not Found"})", b2), "Not Found");
    json b3;
    EXPECT_EQ(upstream_error_message("<html>502 Bad Gateway</html>\n", b3), "<html>502 Bad Gateway</html>");
    EXPECT_TRUE(b3.is_null());
}

TEST(UpstreamUrl, Parsing) {
    Url u;
    std::string err;
    ASSERT_TRUE(parse_url("https://api.openai.com/v1/", u, err)) << err;
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.host, "api.openai.com");
    EXPECT_EQ(u.port, "443");
    EXPECT_EQ(u.path, "/v1");
    EXPECT_EQ(u.host_header(), "api.openai.com");
    ASSERT_TRUE(parse_url("http://[::1]:8081/v1", u, err)) << err;
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.host_header(), "[::1]:8081");
    EXPECT_FALSE(parse_url("http://host:99999/v1", u, err));
    EXPECT_FALSE(parse_url("http://user:pw@host/v1", u, err));
    EXPECT_FALSE(parse_url("localhost:8080/v1", u, err));
}

}  // namespace
