// Sessions (router/session_store), the exact-match response cache (router/response_cache),
// stored Responses (store/response_store) and their configuration.
#include "config/config.h"
#include "router/response_cache.h"
#include "router/session_store.h"
#include "store/response_store.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace switchyard;
using namespace switchyard::router;
using json = nlohmann::json;

namespace {
RouteSpec two_tiers() {
    RouteSpec r;
    r.name = "auto";
    r.tiers = {{"small", "local", "s"}, {"large", "cloud", "l"}};
    return r;
}
}  // namespace

TEST(SessionStore, KeepsTheHighestTierUntilItExpires) {
    SessionSpec spec;
    spec.ttl = std::chrono::seconds(60);
    SessionStore s(spec);
    RouteSpec route = two_tiers();
    Decision d;
    EXPECT_EQ(s.apply(route, "alice", "conv", d, 100), "");
    EXPECT_EQ(d.tier, 0u);
    s.reached(route, "alice", "conv", 1, 100);          // escalated once
    s.reached(route, "alice", "conv", 0, 110);          // a fallback below does not lower it
    Decision d2;
    EXPECT_EQ(s.apply(route, "alice", "conv", d2, 120), "large");
    EXPECT_EQ(d2.tier, 1u);
    ASSERT_EQ(d2.trace.size(), 1u);
    EXPECT_EQ(d2.trace[0]["step"], "session");
    EXPECT_EQ(d2.trace[0]["from"], "small");
    Decision other;
    EXPECT_EQ(s.apply(route, "bob", "conv", other, 120), "") << "sessions are per API key";
    EXPECT_EQ(other.tier, 0u);
    Decision late;
    EXPECT_EQ(s.apply(route, "alice", "conv", late, 110 + 61), "") << "expired after ttl since the last turn";
    EXPECT_EQ(late.tier, 0u);
}

TEST(SessionStore, BoundedAndDisabled) {
    SessionSpec spec;
    spec.max_sessions = 2;
    SessionStore s(spec);
    RouteSpec route = two_tiers();
    for (const char* k : {"a", "b", "c"}) s.reached(route, "", k, 1, 0);
    EXPECT_EQ(s.size(), 2u);
    Decision d;
    EXPECT_EQ(s.apply(route, "", "a", d, 1), "") << "the least recently used was forgotten";
    spec.enabled = false;
    SessionStore off(spec);
    off.reached(route, "", "a", 1, 0);
    EXPECT_EQ(off.size(), 0u);
    EXPECT_EQ(session_of({{"metadata", {{"session_id", "m"}}}}, ""), "m");
    EXPECT_EQ(session_of({{"metadata", {{"session_id", "m"}}}}, "h"), "h");
    EXPECT_EQ(session_of(json::object(), ""), "");
}

TEST(ResponseCache, DeterministicRequestsOnlyAndNormalisedKeys) {
    CacheSpec spec;
    spec.enabled = true;
    ResponseCache c(spec);
    json req = {{"model", "auto"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"temperature", 0}, {"max_tokens", 5}};
    EXPECT_TRUE(c.cacheable(req));
    json sampled = req;
    sampled["temperature"] = 0.7;
    EXPECT_FALSE(c.cacheable(sampled));
    EXPECT_FALSE(c.cacheable(json{{"model", "auto"}}));
    json streamed = req;
    streamed["stream"] = true;
    streamed["metadata"] = {{"session_id", "x"}};
    EXPECT_EQ(ResponseCache::key(req, "auto", 0, "k"), ResponseCache::key(streamed, "auto", 0, "k"));
    json changed = req;
    changed["max_tokens"] = 6;
    EXPECT_NE(ResponseCache::key(req, "auto", 0, "k"), ResponseCache::key(changed, "auto", 0, "k"));
    EXPECT_NE(ResponseCache::key(req, "auto", 0, "k"), ResponseCache::key(req, "auto", 1, "k"));
    EXPECT_NE(ResponseCache::key(req, "auto", 0, "k"), ResponseCache::key(req, "auto", 0, "other-key"));
    EXPECT_TRUE(ResponseCache::bypassed({{"metadata", {{"cache", false}}}}));
    EXPECT_TRUE(ResponseCache::bypassed({{"metadata", {{"cache", "bypass"}}}}));
    EXPECT_FALSE(ResponseCache::bypassed(req));
    spec.deterministic_only = false;
    EXPECT_TRUE(ResponseCache(spec).cacheable(sampled));
}

TEST(ResponseCache, TtlAndBounds) {
    CacheSpec spec;
    spec.enabled = true;
    spec.ttl = std::chrono::seconds(10);
    spec.max_entries = 2;
    ResponseCache c(spec);
    CachedAnswer a;
    a.result.content = "answer";
    a.result.streamed_to_client = true;
    a.tier = "small";
    c.put("k1", a, 0);
    auto hit = c.get("k1", 5);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->result.content, "answer");
    EXPECT_FALSE(hit->result.streamed_to_client);
    EXPECT_FALSE(c.get("k1", 11)) << "expired";
    EXPECT_EQ(c.size(), 0u);
    c.put("a", a, 0);
    c.put("b", a, 0);
    c.get("a", 1);          // a is now the most recent
    c.put("c", a, 0);
    EXPECT_TRUE(c.get("a", 1));
    EXPECT_FALSE(c.get("b", 1)) << "least recently used goes first";
    spec.max_entries = 100;
    spec.max_bytes = 400;
    ResponseCache small(spec);
    small.put("x", a, 0);
    small.put("y", a, 0);
    EXPECT_LE(small.bytes(), 400u);
    EXPECT_EQ(small.size(), 1u);
}

TEST(ResponseStore, MemoryAndSqlite) {
    auto dir = std::filesystem::temp_directory_path() / ("sy-responses-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (auto path : {std::filesystem::path(), dir / "log.db"}) {
        {
            ResponseStore s(path, 2);
            s.put({"resp_1", 1, "alice", "resp_1", "[]", "{\"id\":\"resp_1\"}"});
            s.put({"resp_2", 2, "alice", "resp_1", "[1]", "{}"});
            auto r = s.get("resp_2");
            ASSERT_TRUE(r);
            EXPECT_EQ(r->session, "resp_1");
            EXPECT_EQ(r->messages, "[1]");
            EXPECT_TRUE(s.remove("resp_2"));
            EXPECT_FALSE(s.remove("resp_2"));
            EXPECT_FALSE(s.get("resp_2"));
            EXPECT_FALSE(s.get("nope"));
        }
        if (!path.empty()) {
            ResponseStore again(path);
            ASSERT_TRUE(again.get("resp_1")) << "stored responses survive a restart";
        }
    }
    ResponseStore bounded("", 2);
    for (const char* id : {"a", "b", "c"}) bounded.put({id, 0, "", "", "[]", "{}"});
    EXPECT_FALSE(bounded.get("a"));
    EXPECT_TRUE(bounded.get("c"));
    std::filesystem::remove_all(dir);
}

TEST(SessionCacheConfig, ParsesAndRejects) {
    Config c = parse_config("models: [{name: s, file: s.gguf}]\nsessions: {ttl: 5m, max_sessions: 10}\ncache: {ttl: 30s, max_entries: 7, max_bytes: 1MiB, deterministic_only: false}\n", ".", "t.yaml");
    EXPECT_EQ(c.sessions.ttl, std::chrono::seconds(300));
    EXPECT_EQ(c.sessions.max_sessions, 10u);
    EXPECT_TRUE(c.cache.enabled);
    EXPECT_EQ(c.cache.ttl, std::chrono::seconds(30));
    EXPECT_EQ(c.cache.max_entries, 7u);
    EXPECT_EQ(c.cache.max_bytes, 1u << 20);
    EXPECT_FALSE(c.cache.deterministic_only);
    Config d = parse_config("models: [{name: s, file: s.gguf}]\n", ".", "t.yaml");
    EXPECT_FALSE(d.cache.enabled);
    EXPECT_TRUE(d.sessions.enabled);
    try {
        parse_config("models: [{name: s, file: s.gguf}]\ncache: {tll: 5m}\n", ".", "t.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("t.yaml:2: cache: unknown key 'tll'"), std::string::npos) << e.what();
    }
}
