// The web UI's server-side pieces that need no HTTP: the live-feed bus (delivery, dropping for a
// slow reader, close), query parameters, and the log aggregates behind the dashboard; and the
// batched access log and the request ids the log's index is keyed by.
#include "api/event_bus.h"
#include "api/server_context.h"
#include "api/ui_support.h"
#include "store/request_log.h"
#include "store/request_stats.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

using namespace switchyard;
using namespace switchyard::api;
namespace asio = boost::asio;

namespace {

std::vector<nlohmann::json> drain(asio::io_context& io, const std::shared_ptr<EventBus::Subscription>& sub,
                                  std::chrono::milliseconds timeout) {
    std::vector<nlohmann::json> got;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await sub->next(timeout); }, asio::detached);
    io.run();
    io.restart();
    return got;
}

}  // namespace

TEST(EventBus, DeliversToEverySubscriberAndForgetsReleasedOnes) {
    asio::io_context io;
    EventBus bus;
    auto a = bus.subscribe(asio::make_strand(io));
    auto b = bus.subscribe(asio::make_strand(io));
    bus.publish({{"id", "r1"}});
    EXPECT_EQ(drain(io, a, std::chrono::seconds(1)).at(0)["id"], "r1");
    EXPECT_EQ(drain(io, b, std::chrono::seconds(1)).size(), 1u);
    b.reset();
    EXPECT_EQ(bus.subscribers(), 1u);
}

TEST(EventBus, ASlowReaderLosesEventsAndIsToldHowMany) {
    asio::io_context io;
    EventBus bus;
    auto sub = bus.subscribe(asio::make_strand(io));
    for (std::size_t i = 0; i < EventBus::kMaxQueued + 5; ++i) bus.publish({{"i", i}});
    EXPECT_EQ(sub->take_dropped(), 5u);
    EXPECT_EQ(drain(io, sub, std::chrono::seconds(1)).size(), EventBus::kMaxQueued);
    EXPECT_EQ(sub->take_dropped(), 0u);
}

TEST(EventBus, NextTimesOutEmptyAndCloseEndsTheWait) {
    asio::io_context io;
    EventBus bus;
    auto sub = bus.subscribe(asio::make_strand(io));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(drain(io, sub, std::chrono::milliseconds(50)).empty());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(40));
    bus.close_all();
    EXPECT_TRUE(sub->closed());
    t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(drain(io, sub, std::chrono::seconds(30)).empty());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    bus.publish({{"late", true}});
    EXPECT_TRUE(drain(io, sub, std::chrono::milliseconds(10)).empty());
}

TEST(UiQueryParam, DecodesAndRejectsMalformedEscapes) {
    EXPECT_EQ(ui::query_param("/x?route=auto&class=re%20write", "class"), "re write");
    EXPECT_EQ(ui::query_param("/x?a=1+2", "a"), "1 2");
    EXPECT_EQ(ui::query_param("/x?a=", "a"), "");
    EXPECT_FALSE(ui::query_param("/x?a=1", "b"));
    EXPECT_FALSE(ui::query_param("/x", "a"));
    EXPECT_FALSE(ui::query_param("/x?a=%zz", "a"));
    EXPECT_FALSE(ui::query_param("/x?a=%4", "a"));
}

TEST(LogStats, GroupsByRouteTierAndModelWithFeedbackAndTimings) {
    auto dir = std::filesystem::temp_directory_path() / ("sy-ui-stats-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    {
        RequestLog log(dir / "log.db");
        auto add = [&](const std::string& id, const std::string& route, const std::string& tier, const std::string& model,
                       int status, double latency, double ttft, double ts, double cost) {
            RequestLogEntry e;
            e.id = id; e.ts = ts; e.endpoint = "/v1/chat/completions"; e.route = route; e.tier = tier; e.model = model;
            e.status = status; e.latency_ms = latency; e.ttft_ms = ttft; e.prompt_tokens = 10; e.completion_tokens = 5; e.cost = cost;
            log.record(e);
        };
        add("a", "auto", "small", "gemma", 200, 100, 20, 1000, 0);
        add("b", "auto", "small", "gemma", 200, 300, 40, 1001, 0);
        add("c", "auto", "large", "gpt", 200, 900, -1, 1002, 0.001);
        add("d", "", "", "gemma", 500, 50, -1, 1003, 0);
        add("old", "auto", "small", "gemma", 200, 5000, -1, 10, 0);   // outside the window
        RequestLogEntry listing;
        listing.id = "m"; listing.ts = 1004; listing.endpoint = "/v1/models"; listing.status = 200;
        log.record(listing);
        log.flush();
        log.add_feedback({"a", 1005, "up", ""});
        log.add_feedback({"c", 1005, "down", ""});
        log.add_feedback({"c", 1006, "down", ""});
    }
    LogStats s = read_log_stats(dir / "log.db", 999);
    EXPECT_EQ(s.requests, 4);
    EXPECT_EQ(s.errors, 1);
    EXPECT_DOUBLE_EQ(s.cost, 0.001);
    ASSERT_EQ(s.tiers.size(), 3u);   // ("", "", gemma), (auto, large, gpt), (auto, small, gemma)
    const TierUsage& small = s.tiers[2];
    EXPECT_EQ(small.route, "auto");
    EXPECT_EQ(small.tier, "small");
    EXPECT_EQ(small.requests, 2);
    EXPECT_EQ(small.up, 1);
    EXPECT_EQ(small.prompt_tokens, 20);
    EXPECT_EQ(s.tiers[1].down, 2);
    ASSERT_EQ(s.models.size(), 2u);
    const ModelTimings& gemma = s.models[0].model == "gemma" ? s.models[0] : s.models[1];
    EXPECT_EQ(gemma.latency_ms, (std::vector<double>{100, 300}));   // successful only, ascending
    EXPECT_EQ(gemma.ttft_ms, (std::vector<double>{20, 40}));
    EXPECT_DOUBLE_EQ(gemma.generation_s, (80 + 260) / 1000.0);
    std::filesystem::remove_all(dir);
}

TEST(AccessLog, WritesEveryLineInOrderBatchedAndFlushWaitsForThem) {
    std::ostringstream out;
    AccessLog log(&out);
    std::thread other([&] { for (int i = 0; i < 500; ++i) log.write({{"t", "b"}, {"i", i}}); });
    for (int i = 0; i < 500; ++i) log.write({{"t", "a"}, {"i", i}});
    other.join();
    log.flush();
    std::istringstream in(out.str());   // the writer is idle after flush(): nothing else touches out
    std::string line;
    int next_a = 0, next_b = 0;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        int& next = j["t"] == "a" ? next_a : next_b;
        EXPECT_EQ(j["i"].get<int>(), next) << "each thread's lines keep their order";
        ++next;
    }
    EXPECT_EQ(next_a, 500);
    EXPECT_EQ(next_b, 500);
}

TEST(AccessLog, LinesStillGatheredAtDestructionAreWritten) {
    std::ostringstream out;
    {
        AccessLog log(&out);
        log.write({{"id", "r1"}});
        log.write({{"id", "r2"}});
    }   // well inside the batching window
    EXPECT_EQ(out.str(), "{\"id\":\"r1\"}\n{\"id\":\"r2\"}\n");
    AccessLog none(nullptr);   // no stream: writes are dropped, flush returns
    none.write({{"id", "r3"}});
    none.flush();
}

TEST(RequestId, KeepsItsShapeIsUniqueAndSortsByTime) {
    std::set<std::string> seen;
    std::string last;
    for (int i = 0; i < 20000; ++i) {
        last = random_id("chatcmpl-");
        ASSERT_EQ(last.size(), 9u + 24u);
        EXPECT_EQ(last.find_first_not_of("0123456789abcdef", 9), std::string::npos) << last;
        EXPECT_TRUE(seen.insert(last).second) << "duplicate " << last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    // A later id sorts after every earlier one (the request log's primary key grows at its end).
    EXPECT_GT(random_id("chatcmpl-"), *seen.rbegin());
}
