// Sessions (router/session_store), the exact-match response cache (router/response_cache),
// stored Responses (store/response_store) and their configuration.
#include "config/config.h"
#include "router/response_cache.h"
#include "router/semantic_cache.h"
#include "router/session_store.h"
#include "store/response_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

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

TEST(ResponseCache, PersistsInTheLogDatabaseWithTtlAndBounds) {
    auto dir = std::filesystem::temp_directory_path() / ("sy-cache-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto db = dir / "log.db";
    CacheSpec spec;
    spec.enabled = true;
    spec.ttl = std::chrono::seconds(10);
    spec.max_entries = 2;
    CachedAnswer a;
    a.result.content = "forty-two";
    a.result.tool_calls = json::array({{{"id", "c1"}, {"type", "function"}}});
    a.result.prompt_tokens = 7;
    a.result.finish_reason = "stop";
    a.result.response = {{"object", "chat.completion"}};
    a.tier = "large";
    a.tier_index = 1;
    const std::string k1 = ResponseCache::key(json{{"model", "auto"}, {"temperature", 0}}, "auto/chat", 0, "alice");
    {
        ResponseCache c(spec, db);
        ASSERT_TRUE(c.persistent());
        c.put(k1, a, 100);
        c.persist_job(k1, a, 100)();
    }
    {   // a new process: nothing in memory, the row in the file
        ResponseCache c(spec, db);
        EXPECT_FALSE(c.get(k1, 101));
        auto hit = c.load(k1, 101);
        ASSERT_TRUE(hit);
        EXPECT_EQ(hit->source, "database");
        EXPECT_EQ(hit->result.content, "forty-two");
        EXPECT_EQ(hit->result.tool_calls, a.result.tool_calls);
        EXPECT_EQ(hit->result.prompt_tokens, 7);
        EXPECT_EQ(hit->result.response, a.result.response);
        EXPECT_EQ(hit->tier, "large");
        EXPECT_EQ(hit->tier_index, 1u);
        auto again = c.get(k1, 102);
        ASSERT_TRUE(again) << "a loaded row is kept in memory";
        EXPECT_EQ(again->source, "memory");
        EXPECT_FALSE(c.get(k1, 111)) << "in memory it keeps the row's own expiry";
        EXPECT_FALSE(c.load(k1, 111)) << "expired in the database too";
        EXPECT_FALSE(c.load(ResponseCache::key(json{{"model", "auto"}, {"temperature", 0}}, "auto/chat", 0, "bob"), 101))
            << "per caller key";
        // bounded like the memory side: the least recently used row goes
        for (const char* k : {"a", "b"}) c.persist_job(k, a, 200)();
        c.load("a", 201);
        c.persist_job("c", a, 202)();
        EXPECT_TRUE(c.load("a", 203));
        EXPECT_FALSE(c.load("b", 203));
        EXPECT_TRUE(c.load("c", 203));
    }
    EXPECT_EQ(SqliteCacheStore(db, 10, 1 << 20).size(), 2u);
    // The answer is in the file (closed, so checkpointed), the request only as its hash.
    std::ifstream f(db, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_NE(bytes.find("forty-two"), std::string::npos);
    EXPECT_EQ(bytes.find("\"temperature\""), std::string::npos) << "rows are keyed by a hash of the request";
    spec.persist = false;
    EXPECT_FALSE(ResponseCache(spec, db).persistent());
    std::filesystem::remove_all(dir);
}

TEST(SessionCacheConfig, SemanticCacheAndMcpRoutes) {
    const std::string models = "models: [{name: s, file: s.gguf}, {name: e, file: e.gguf, kind: embedding}]\n";
    Config c = parse_config(models + "routes: [{name: auto, tiers: [{model: s}]}]\n"
                            "cache: {persist: false, semantic: {model: e, threshold: 0.9, classes: {chat: 0.85}}}\nmcp: {routes: [auto]}\n", ".", "t.yaml");
    EXPECT_FALSE(c.cache.persist);
    EXPECT_TRUE(c.cache.semantic.enabled());
    EXPECT_FLOAT_EQ(c.cache.semantic.threshold_for("chat"), 0.85f);
    EXPECT_LT(c.cache.semantic.threshold_for("code"), 0) << "with classes listed, others do not use it";
    EXPECT_EQ(c.mcp.routes, std::vector<std::string>{"auto"});
    EXPECT_TRUE(parse_config(models + "mcp: {routes: true}\n", ".", "t.yaml").mcp.all_routes);
    auto error_of = [&](const std::string& text) {
        try { parse_config(models + text, ".", "t.yaml"); } catch (const ConfigError& e) { return std::string(e.what()); }
        return std::string("(no error)");
    };
    EXPECT_NE(error_of("cache: {semantic: {model: s}}\n").find("not an embedding model"), std::string::npos);
    EXPECT_NE(error_of("cache: {semantic: {model: nope}}\n").find("unknown model 'nope'"), std::string::npos);
    EXPECT_NE(error_of("cache: {semantic: {model: e, threshold: 2}}\n").find("threshold"), std::string::npos);
    EXPECT_NE(error_of("mcp: {routes: [nowhere]}\n").find("unknown route or model 'nowhere'"), std::string::npos);
}

TEST(SemanticCache, SplitsTheLastUserMessageFromItsPartition) {
    json a = {{"model", "auto"}, {"max_tokens", 8}, {"messages", json::array({{{"role", "system"}, {"content", "Be terse."}},
                                                                              {{"role", "user"}, {"content", "What is the capital of France?"}}})}};
    json b = a;
    b["messages"][1]["content"] = json::array({{{"type", "text"}, {"text", "Which city is France's capital?"}}});
    std::string ta, pa, tb, pb;
    ASSERT_TRUE(SemanticCache::split(a, "auto/chat", 0, "", "default", ta, pa));
    ASSERT_TRUE(SemanticCache::split(b, "auto/chat", 0, "", "default", tb, pb));
    EXPECT_EQ(ta, "What is the capital of France?");
    EXPECT_EQ(tb, "Which city is France's capital?");
    EXPECT_EQ(pa, pb) << "only the compared text differs";
    std::string t, p;
    json c = a;
    c["max_tokens"] = 9;
    SemanticCache::split(c, "auto/chat", 0, "", "default", t, p);
    EXPECT_NE(p, pa) << "other parameters partition";
    SemanticCache::split(a, "auto/chat", 0, "", "faq", t, p);
    EXPECT_NE(p, pa) << "task classes partition";
    SemanticCache::split(a, "auto/chat", 0, "bob", "default", t, p);
    EXPECT_NE(p, pa) << "caller keys partition";
    json img = a;
    img["messages"][1]["content"] = json::array({{{"type", "text"}, {"text", "this?"}}, {{"type", "image_url"}, {"image_url", {{"url", "x"}}}}});
    EXPECT_FALSE(SemanticCache::split(img, "auto/chat", 0, "", "default", t, p));
    json assistant_last = a;
    assistant_last["messages"].push_back({{"role", "assistant"}, {"content", "Paris"}});
    EXPECT_FALSE(SemanticCache::split(assistant_last, "auto/chat", 0, "", "default", t, p));
}

TEST(SemanticCache, NearestAboveThresholdWithinPartitionTtlAndBound) {
    CacheSpec spec;
    spec.enabled = true;
    spec.ttl = std::chrono::seconds(10);
    spec.max_entries = 2;
    spec.semantic.model = "e";
    SemanticCache c(spec);
    ASSERT_TRUE(c.enabled());
    CachedAnswer a;
    a.result.content = "Paris";
    c.put("p", {1, 0, 0}, a, 0);
    a.result.content = "Berlin";
    c.put("p", {0, 1, 0}, a, 0);
    float best = 0;
    auto hit = c.find("p", {0.9f, 0.1f, 0}, 0.9f, 1, &best);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->answer.result.content, "Paris");
    EXPECT_EQ(hit->answer.source, "semantic");
    EXPECT_NEAR(hit->similarity, 0.9939f, 1e-3);
    EXPECT_FALSE(c.find("p", {1, 1, 0}, 0.9f, 1, &best)) << "0.707 to both: below the threshold";
    EXPECT_NEAR(best, 0.7071f, 1e-3);
    EXPECT_FALSE(c.find("other", {1, 0, 0}, 0.5f, 1, &best));
    EXPECT_EQ(best, -1);
    EXPECT_FALSE(c.find("p", {1, 0, 0}, 0.5f, 11)) << "expired";
    c.put("p", {1, 0, 0}, a, 20);
    c.put("p", {0, 0, 1}, a, 20);
    c.put("p", {0, 1, 0}, a, 20);
    EXPECT_EQ(c.size(), 2u) << "bounded by cache.max_entries";
    EXPECT_FALSE(c.find("p", {1, 0, 0}, 0.99f, 21)) << "the oldest went";
    EXPECT_FLOAT_EQ(cosine({1, 0}, {0, 0}), 0.0f);
}
