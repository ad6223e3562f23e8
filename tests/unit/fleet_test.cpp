// Upstream fleets: the balancer's order (least outstanding, weights, prefix affinity,
// unavailable endpoints last), which failures move to another endpoint, and the config.
#include "config/config.h"
#include "providers/fleet_balancer.h"
#include "providers/fleet_provider.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <map>

using namespace switchyard;
using namespace switchyard::providers;

TEST(FleetBalancer, IdleFleetSpreadsByWeight) {
    FleetBalancer b({1, 2, 1});
    std::map<std::size_t, int> picks;
    for (int i = 0; i < 400; ++i) ++picks[b.order({0, 0, 0}, {true, true, true}, std::nullopt).front()];
    EXPECT_EQ(picks[0], 100);
    EXPECT_EQ(picks[1], 200);
    EXPECT_EQ(picks[2], 100);
}

TEST(FleetBalancer, LeastOutstandingPerWeightWins) {
    FleetBalancer b({1, 1, 4});
    EXPECT_EQ(b.order({3, 1, 2}, {true, true, true}, std::nullopt).front(), 2u) << "2 in flight on weight 4 is the lightest";
    EXPECT_EQ(b.order({3, 1, 8}, {true, true, true}, std::nullopt).front(), 1u);
    auto order = b.order({5, 1, 8}, {true, true, true}, std::nullopt);
    EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0})) << "the rest is the failover order, lightest first";
}

TEST(FleetBalancer, UnavailableEndpointsGoLast) {
    FleetBalancer b({1, 1, 1});
    for (int i = 0; i < 10; ++i) {
        auto order = b.order({0, 0, 0}, {false, true, false}, std::nullopt);
        EXPECT_EQ(order.front(), 1u);
        EXPECT_EQ(order.size(), 3u);
    }
}

TEST(FleetBalancer, PrefixAffinityIsStableAndSpreads) {
    FleetBalancer b({1, 1, 1});
    std::map<std::size_t, int> homes;
    for (int conv = 0; conv < 300; ++conv) {
        auto key = prefix_key("U:conversation " + std::to_string(conv));
        auto first = b.order({0, 0, 0}, {true, true, true}, key).front();
        EXPECT_EQ(b.order({9, 0, 4}, {true, true, true}, key).front(), first) << "load does not move a conversation";
        ++homes[first];
        // Its endpoint gone, the conversation moves; the others stay where they were.
        std::vector<bool> up{true, true, true};
        up[first] = false;
        EXPECT_NE(b.order({0, 0, 0}, up, key).front(), first);
    }
    for (std::size_t i = 0; i < 3; ++i) EXPECT_GT(homes[i], 60) << "endpoint " << i;
}

TEST(FleetProvider, OnlyUpstreamFailuresBeforeOutputFailOver) {
    ProviderResult r;
    for (int status : {500, 502, 503, 504, 429, 408}) {
        r.status = status;
        EXPECT_TRUE(fails_over(r)) << status;
    }
    for (int status : {200, 400, 401, 404, 499}) {
        r.status = status;
        EXPECT_FALSE(fails_over(r)) << status;
    }
    r.status = 502;
    r.streamed_to_client = true;
    EXPECT_FALSE(fails_over(r)) << "the client already saw part of an answer";
}

// /metrics needs no key: its endpoint labels are positions in `endpoints:`, never the URLs
// (internal hosts), like the 502s, which name the provider and not its address.
TEST(FleetProvider, MetricsLabelEndpointsByPositionNotUrl) {
    asio::io_context io;
    std::vector<std::unique_ptr<FleetProvider::Endpoint>> endpoints;
    for (const char* url : {"http://10.1.2.3:8000/v1", "http://gpu-box.internal:8000/v1"}) {
        RemoteProviderSpec spec;
        spec.name = "vllm";
        spec.base_url = url;
        auto e = std::make_unique<FleetProvider::Endpoint>();
        e->provider = std::make_unique<RemoteProvider>(io.get_executor(), spec);
        endpoints.push_back(std::move(e));
    }
    endpoints[1]->calls = 7;
    FleetProvider fleet("vllm", std::move(endpoints), false, 2);
    const std::string text = fleet_metrics({&fleet});
    EXPECT_NE(text.find("switchyard_upstream_endpoint_calls_total{provider=\"vllm\",endpoint=\"0\"} 0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("switchyard_upstream_endpoint_calls_total{provider=\"vllm\",endpoint=\"1\"} 7\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("10.1.2.3"), std::string::npos) << text;
    EXPECT_EQ(text.find("gpu-box"), std::string::npos) << text;
}

TEST(FleetProvider, ConversationOpeningIgnoresLaterTurns) {
    json first = {{"messages", {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}}}};
    json later = first;
    later["messages"].push_back({{"role", "assistant"}, {"content", "hello"}});
    later["messages"].push_back({{"role", "user"}, {"content", "more"}});
    EXPECT_EQ(conversation_opening(first), conversation_opening(later));
    json other = {{"messages", {{{"role", "user"}, {"content", "bye"}}}}};
    EXPECT_NE(conversation_opening(first), conversation_opening(other));
}

TEST(FleetConfig, EndpointsWithWeights) {
    std::string models = "models:\n  - {name: small, file: s.gguf}\n";
    auto cfg = parse_config(models + "providers:\n  - name: vllm\n    endpoints: [\"http://a:8000/v1/\", {url: \"http://b:8000/v1\", weight: 3}]\n"
                                     "    prefix_affinity: true\n", "/c", "k.yaml");
    const auto& p = cfg.providers.at(0);
    ASSERT_EQ(p.endpoints.size(), 2u);
    EXPECT_EQ(p.endpoints[0].base_url, "http://a:8000/v1");
    EXPECT_EQ(p.endpoints[1].weight, 3);
    EXPECT_TRUE(p.prefix_affinity);
    EXPECT_EQ(p.base_url, "http://a:8000/v1");
    auto error = [&](const std::string& providers) {
        try { parse_config(models + providers, "/c", "k.yaml"); } catch (const ConfigError& e) { return std::string(e.what()); }
        return std::string("(no error)");
    };
    EXPECT_NE(error("providers:\n  - {name: v, base_url: \"http://a/v1\", endpoints: [\"http://b/v1\"]}\n").find("not both"), std::string::npos);
    EXPECT_NE(error("providers:\n  - {name: v, endpoints: []}\n").find("non-empty list"), std::string::npos);
    EXPECT_NE(error("providers:\n  - {name: v, endpoints: [\"ftp://a\"]}\n").find("must start with http"), std::string::npos);
    EXPECT_NE(error("providers:\n  - {name: v, endpoints: [\"http://a\", \"http://a/\"]}\n").find("listed twice"), std::string::npos);
    EXPECT_NE(error("providers:\n  - {name: v, base_url: \"http://a\", prefix_affinity: true}\n").find("needs endpoints"), std::string::npos);
    EXPECT_NE(error("providers:\n  - {name: v, endpoints: [{url: \"http://a\", weight: 0}]}\n").find("weight"), std::string::npos);
}
