#include "engine/engine_error.h"
#include "engine/model_pool.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

using namespace switchyard;
using namespace switchyard::testing;

namespace {

Config config_with(std::vector<ModelSpec> models, std::uint64_t budget = 1ull << 40) {
    Config cfg;
    cfg.models = std::move(models);
    cfg.memory_budget_bytes = budget;
    return cfg;
}

// Counts real loads so tests can tell "loaded once" from "loaded twice".
struct CountingLoader {
    std::shared_ptr<std::atomic<int>> loads = std::make_shared<std::atomic<int>>(0);
    ModelPool::Loader fn() {
        auto l = loads;
        return [l](const ModelSpec& s) { ++*l; return LoadedModel::load(s); };
    }
};

EngineErrorKind kind_of(ModelPool& pool, const std::string& name, std::string* message = nullptr) {
    try {
        pool.acquire(name);
    } catch (const EngineError& e) {
        if (message) *message = e.what();
        return e.kind;
    }
    return EngineErrorKind::internal;
}

}  // namespace

TEST(ModelPool, LoadsOnFirstUseAndResolvesAliases) {
    auto spec = tiny_spec("tiny");
    spec.aliases = {"t"};
    CountingLoader counter;
    ModelPool pool(config_with({spec}), counter.fn());
    EXPECT_FALSE(pool.status()[0].loaded);
    {
        auto lease = pool.acquire("t");
        EXPECT_EQ(lease->spec().name, "tiny");
        EXPECT_TRUE(pool.status()[0].loaded);
        EXPECT_EQ(pool.status()[0].in_use, 1);
    }
    auto again = pool.acquire("tiny");
    EXPECT_EQ(*counter.loads, 1);
    EXPECT_GT(pool.status()[0].memory_bytes, 0u);
}

TEST(ModelPool, ConcurrentFirstUsesShareOneLoad) {
    CountingLoader counter;
    ModelPool pool(config_with({tiny_spec("tiny")}), counter.fn());
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] { auto l = pool.acquire("tiny"); if (l) ++ok; });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, 6);
    EXPECT_EQ(*counter.loads, 1);
}

TEST(ModelPool, EvictsLeastRecentlyUsedIdleModelUnderBudget) {
    // Budget fits one tiny model but not two: loading a second evicts the idle first one.
    CountingLoader counter;
    ModelPool probe(config_with({tiny_spec("a")}));
    std::uint64_t one = probe.acquire("a")->memory_bytes();
    ModelPool pool(config_with({tiny_spec("a"), tiny_spec("b"), tiny_spec("c")}, one + one / 2), counter.fn());
    pool.acquire("a");
    pool.acquire("b");
    auto st = pool.status();
    EXPECT_FALSE(st[0].loaded);
    EXPECT_TRUE(st[1].loaded);
    pool.acquire("c");
    st = pool.status();
    EXPECT_FALSE(st[1].loaded);
    EXPECT_TRUE(st[2].loaded);
    EXPECT_EQ(*counter.loads, 3);
}

TEST(ModelPool, NeverEvictsAModelInUse) {
    ModelPool probe(config_with({tiny_spec("a")}));
    std::uint64_t one = probe.acquire("a")->memory_bytes();
    ModelPool pool(config_with({tiny_spec("a"), tiny_spec("b")}, one + one / 2));
    auto held = pool.acquire("a");
    auto other = pool.acquire("b");  // over budget, but "a" is busy: both stay
    auto st = pool.status();
    EXPECT_TRUE(st[0].loaded);
    EXPECT_TRUE(st[1].loaded);
}

TEST(ModelPool, KeepAliveUnloadsIdleModels) {
    auto spec = tiny_spec("tiny");
    spec.keep_alive = std::chrono::seconds(0);
    auto forever = tiny_spec("pinned");
    forever.keep_alive = std::chrono::seconds::max();
    ModelPool pool(config_with({spec, forever}));
    {
        auto lease = pool.acquire("tiny");
        auto pinned = pool.acquire("pinned");
        pool.reap_idle();
        EXPECT_TRUE(pool.status()[0].loaded) << "a model in use is never reaped";
    }
    pool.reap_idle();
    EXPECT_FALSE(pool.status()[0].loaded);
    EXPECT_TRUE(pool.status()[1].loaded);
}

TEST(ModelPool, ErrorsNameTheModelAndPath) {
    auto missing = tiny_spec("missing");
    missing.file = "/nonexistent/model.gguf";
    auto dir = std::filesystem::path(SWITCHYARD_TEST_MODEL_DIR);
    auto corrupt = tiny_spec("corrupt");
    corrupt.file = dir / "corrupt.gguf";
    { std::ofstream(corrupt.file) << "GGUF this is not a model"; }
    auto junk = tiny_spec("junk");
    junk.file = dir / "junk.bin";
    { std::ofstream(junk.file) << "hello"; }
    ModelPool pool(config_with({missing, corrupt, junk, tiny_spec("ok")}));
    std::string msg;
    EXPECT_EQ(kind_of(pool, "missing", &msg), EngineErrorKind::model_unavailable);
    EXPECT_NE(msg.find("/nonexistent/model.gguf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
    EXPECT_EQ(kind_of(pool, "corrupt", &msg), EngineErrorKind::model_unavailable);
    EXPECT_NE(msg.find("corrupt.gguf"), std::string::npos) << msg;
    EXPECT_EQ(kind_of(pool, "junk", &msg), EngineErrorKind::model_unavailable);
    EXPECT_NE(msg.find("not a GGUF"), std::string::npos) << msg;
    EXPECT_EQ(kind_of(pool, "nope", &msg), EngineErrorKind::unknown_model);
    EXPECT_NE(msg.find("'nope'"), std::string::npos);
    EXPECT_NE(pool.status()[0].last_error.find("not found"), std::string::npos);
    EXPECT_TRUE(pool.acquire("ok")) << "a failed load does not poison the pool";
}
