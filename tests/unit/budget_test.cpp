// Budgets (cost estimates, per-key spend ledger), feedback tier bumps, and their config and log.
#include "config/config.h"
#include "providers/remote_provider.h"
#include "router/budget.h"
#include "router/tier_bump.h"
#include "store/request_log.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace switchyard;
using namespace switchyard::router;
using json = nlohmann::json;

namespace {
RouteSpec three_tiers(bool feedback = true) {
    RouteSpec r;
    r.name = "auto";
    r.tiers = {{"small", "local", "s"}, {"medium", "local", "m"}, {"large", "cloud", "l"}};
    r.feedback = {feedback, 4, 2, 0.5f};
    return r;
}
}  // namespace

TEST(Budget, EstimateUsesPricesAndMaxTokens) {
    boost::asio::io_context io;
    RemoteProviderSpec cfg;
    cfg.name = "cloud";
    cfg.base_url = "http://127.0.0.1:1/v1";
    cfg.price_input = 3;      // $ per 1M
    cfg.price_output = 15;
    providers::RemoteProvider priced(io.get_executor(), cfg);
    json req = {{"max_tokens", 100}};
    // 300 chars -> 100 + 8 prompt tokens; 100 completion tokens.
    EXPECT_NEAR(estimate_cost(req, 300, priced), (108 * 3.0 + 100 * 15.0) / 1e6, 1e-12);
    EXPECT_NEAR(estimate_cost(json::object(), 0, priced), (8 * 3.0 + kAssumedCompletionTokens * 15.0) / 1e6, 1e-12);
    cfg.price_input = cfg.price_output = 0;
    providers::RemoteProvider free_upstream(io.get_executor(), cfg);
    EXPECT_EQ(estimate_cost(req, 300, free_upstream), 0);
}

TEST(Budget, LedgerResetsAtPeriodBoundaries) {
    ApiKeySpec daily{"alice", "k", false, 1.0, ApiKeySpec::Period::day};
    ApiKeySpec forever{"bob", "k2", false, 1.0, ApiKeySpec::Period::total};
    const double noon = 1'700'000'000 - 1'700'000'000 % 86400 + 43200;  // 12:00 UTC
    EXPECT_EQ(SpendLedger::period_start(ApiKeySpec::Period::day, noon), noon - 43200);
    EXPECT_EQ(SpendLedger::period_start(ApiKeySpec::Period::total, noon), 0);
    SpendLedger ledger;
    ledger.seed("alice", SpendLedger::period_start(daily.period, noon), 0.25);
    ledger.add(daily, 0.5, noon);
    ledger.add(forever, 0.5, noon);
    EXPECT_DOUBLE_EQ(ledger.spent(daily, noon + 60), 0.75);
    EXPECT_DOUBLE_EQ(ledger.spent(daily, noon + 86400), 0) << "the next day starts from zero";
    EXPECT_DOUBLE_EQ(ledger.spent(forever, noon + 86400 * 40), 0.5);
}

TEST(TierBumps, BumpsAClassOneTierUpPastTheThreshold) {
    TierBumps bumps;
    RouteSpec r = three_tiers();
    EXPECT_FALSE(bumps.rate(r, "code", "small", true, 1)) << "below min_ratings";
    auto b = bumps.rate(r, "code", "small", true, 2);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->to_tier, "medium");
    EXPECT_EQ(b->to_index, 1u);
    EXPECT_DOUBLE_EQ(b->down_rate, 1.0);
    EXPECT_TRUE(bumps.active("auto", "code"));
    EXPECT_FALSE(bumps.active("auto", "grammar_fix")) << "other classes are untouched";
    // Failing on the bumped tier too climbs once more; the last tier cannot climb.
    bumps.rate(r, "code", "medium", true, 3);
    ASSERT_TRUE(bumps.rate(r, "code", "medium", true, 4));
    EXPECT_EQ(bumps.active("auto", "code")->to_tier, "large");
    bumps.rate(r, "code", "large", true, 5);
    EXPECT_FALSE(bumps.rate(r, "code", "large", true, 6));
    EXPECT_EQ(bumps.reset("auto", "code"), 1);
    EXPECT_FALSE(bumps.active("auto", "code"));
    EXPECT_FALSE(bumps.rate(r, "code", "small", true, 7)) << "reset cleared the window too";
}

TEST(TierBumps, GoodRatingsKeepTheRateBelowThresholdAndWindowSlides) {
    TierBumps bumps;
    RouteSpec r = three_tiers();
    r.feedback.min_ratings = 4;  // judge only full windows
    // window 4, threshold 0.5: down, up, down, up -> 0.5 is not above it.
    for (bool down : {true, false, true, false}) EXPECT_FALSE(bumps.rate(r, "x", "small", down, 1));
    // The oldest "down" slides out; two more downs make 3 of 4.
    EXPECT_FALSE(bumps.rate(r, "x", "small", true, 2));  // up, down, up, down -> 0.5
    EXPECT_TRUE(bumps.rate(r, "x", "small", true, 3));   // down, up, down, down -> 0.75
    EXPECT_FALSE(TierBumps().rate(three_tiers(false), "x", "small", true, 1)) << "feedback not configured";
}

TEST(TierBumps, RestoreKeepsTheHighestBump) {
    TierBumps bumps;
    bumps.restore({"auto", "code", "small", "large", 2, 0.8, 5, 1});
    bumps.restore({"auto", "code", "small", "medium", 1, 0.8, 5, 2});
    EXPECT_EQ(bumps.active("auto", "code")->to_tier, "large");
    EXPECT_EQ(bumps.list().size(), 1u);
    EXPECT_EQ(bumps.reset("", ""), 1);
}

TEST(BudgetConfig, ParsesKeysAndFeedback) {
    setenv("SY_TEST_ALICE", "sk-alice", 1);
    auto cfg = parse_config(R"(
server:
  api_keys:
    - {name: alice, key_env: SY_TEST_ALICE, local_only: true, spend_limit: 2.5, spend_period: month}
models:
  - {name: small, file: s.gguf}
routes:
  - name: auto
    tiers: [{model: small}]
    feedback: {window: 10, min_ratings: 3, max_down_rate: 0.3}
)", "/c", "k.yaml");
    ASSERT_EQ(cfg.server.api_keys.size(), 1u);
    EXPECT_EQ(cfg.server.api_keys[0].key, "sk-alice");
    EXPECT_TRUE(cfg.server.api_keys[0].local_only);
    EXPECT_DOUBLE_EQ(cfg.server.api_keys[0].spend_limit, 2.5);
    EXPECT_EQ(cfg.server.api_keys[0].period, ApiKeySpec::Period::month);
    EXPECT_TRUE(cfg.routes[0].feedback.enabled);
    EXPECT_EQ(cfg.routes[0].feedback.window, 10);
    EXPECT_FLOAT_EQ(cfg.routes[0].feedback.max_down_rate, 0.3f);

    auto error = [](const std::string& yaml) {
        try { parse_config(yaml, "/c", "k.yaml"); } catch (const ConfigError& e) { return std::string(e.what()); }
        return std::string("(no error)");
    };
    std::string models = "models:\n  - {name: small, file: s.gguf}\n";
    EXPECT_NE(error("server:\n  api_keys: [{name: a, key_env: SY_TEST_UNSET_VAR}]\n" + models).find("SY_TEST_UNSET_VAR is not set"), std::string::npos);
    EXPECT_NE(error("server:\n  api_keys: [{name: a, key_env: SY_TEST_ALICE, spend_period: week}]\n" + models).find("expected day, month or total"), std::string::npos);
    EXPECT_NE(error("server:\n  api_keys: [{name: a, key_env: SY_TEST_ALICE}, {name: a, key_env: SY_TEST_ALICE}]\n" + models).find("used twice"), std::string::npos);
    EXPECT_NE(error(models + "routes:\n  - {name: r, tiers: [{model: small}], feedback: {window: 2, min_ratings: 5}}\n").find("cannot exceed window"), std::string::npos);
    EXPECT_NE(error(models + "routes:\n  - {name: r, tiers: [{model: small}], feedback: {max_down_rate: 2}}\n").find("between 0 and 1"), std::string::npos);
}

TEST(RequestLogBudget, SpendAndBumpsPersist) {
    auto dir = std::filesystem::temp_directory_path() / ("sy-budget-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    {
        RequestLog log(dir / "log.db");
        for (double cost : {0.1, 0.2}) {
            RequestLogEntry e;
            e.id = "r" + std::to_string(cost);
            e.ts = 1000;
            e.api_key = "alice";
            e.cost = cost;
            e.tier = "large";
            log.record(e);
        }
        RequestLogEntry old;
        old.id = "old";
        old.ts = 10;
        old.api_key = "alice";
        old.cost = 5;
        log.record(old);
        EXPECT_NEAR(log.spend_since("alice", 500), 0.3, 1e-9);
        EXPECT_EQ(log.find("r0.100000")->tier, "large");
        log.record_bump({"auto", "code", "small", "medium", 0.75, 4, 1000, 0});
        log.record_bump({"auto", "math", "small", "medium", 0.75, 4, 1001, 0});
    }
    RequestLog log(dir / "log.db");
    EXPECT_EQ(log.bumps(true).size(), 2u);
    EXPECT_EQ(log.reset_bumps("auto", "code", 2000), 1);
    auto active = log.bumps(true);
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].task_class, "math");
    EXPECT_EQ(log.bumps(false).size(), 2u);
    std::filesystem::remove_all(dir);
}
