// The pure parts of the shared store: the store: config section, URL redaction, tier bumps fed
// by a shared rating window or replaced by a shared list, and the spend ledger's local/base split.
// PostgreSQL itself is exercised end to end in tests/e2e/test_postgres.py.
#include "config/config.h"
#include "router/budget.h"
#include "router/tier_bump.h"
#include "store/pg_conn.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace switchyard;
using namespace switchyard::router;

namespace {
const std::string kModels = "models:\n  - {name: small, file: s.gguf}\n";
std::string config_error(const std::string& yaml) {
    try { parse_config(yaml, "/c", "k.yaml"); } catch (const ConfigError& e) { return e.what(); }
    return "(no error)";
}
RouteSpec two_tiers() {
    RouteSpec r;
    r.name = "auto";
    r.tiers = {{"small", "local", "s"}, {"large", "cloud", "l"}};
    r.feedback = {true, 4, 2, 0.5f};
    return r;
}
}  // namespace

TEST(StoreConfig, ParsesPostgresAndRejectsMistakes) {
    ::setenv("SY_TEST_PG_URL", "postgresql://sy:pw@db:5432/switchyard", 1);
    auto cfg = parse_config(kModels + "store: {kind: postgres, url_env: SY_TEST_PG_URL, pool_size: 3, sync_interval_ms: 250}\n", "/c", "k.yaml");
    EXPECT_EQ(cfg.store.kind, StoreSpec::Kind::postgres);
    EXPECT_EQ(cfg.store.url, "postgresql://sy:pw@db:5432/switchyard");
    EXPECT_EQ(cfg.store.pool_size, 3);
    EXPECT_EQ(cfg.store.sync_interval_ms, 250);
    EXPECT_TRUE(cfg.store.enabled());
    EXPECT_FALSE(parse_config(kModels, "/c", "k.yaml").store.enabled()) << "SQLite (log.path) stays the default";

    EXPECT_NE(config_error(kModels + "store: {kind: postgres}\n").find("needs url or url_env"), std::string::npos);
    EXPECT_NE(config_error(kModels + "store: {kind: mysql, url: x}\n").find("expected sqlite or postgres"), std::string::npos);
    EXPECT_NE(config_error(kModels + "store: {kind: postgres, url_env: SY_TEST_UNSET_PG}\n").find("SY_TEST_UNSET_PG is not set"), std::string::npos);
    EXPECT_NE(config_error(kModels + "store: {kind: postgres, url: a, url_env: SY_TEST_PG_URL}\n").find("not both"), std::string::npos);
    EXPECT_NE(config_error(kModels + "store: {kind: postgres, url: a, pool_size: 0}\n").find("pool_size"), std::string::npos);
}

TEST(StoreConfig, PasswordsNeverReachMessages) {
    EXPECT_EQ(redact_url("postgresql://sy:hunter2@db:5432/x"), "postgresql://sy:***@db:5432/x");
    EXPECT_EQ(redact_url("postgres://sy@db/x"), "postgres://sy@db/x");
    EXPECT_EQ(redact_url("host=db user=sy password=hunter2 dbname=x"), "host=db user=sy password=*** dbname=x");
    EXPECT_EQ(redact_url("host=db password='a b' dbname=x"), "host=db password=*** dbname=x");
    EXPECT_EQ(redact_url("postgresql:///x?host=/tmp/s&port=5"), "postgresql:///x?host=/tmp/s&port=5");
}

TEST(SharedTierBumps, TheSharedWindowDecidesNotTheLocalOne) {
    TierBumps bumps;
    auto route = two_tiers();
    // Locally this is the first rating; the shared window already holds another replica's.
    std::vector<bool> shared{true, true};
    auto b = bumps.rate(route, "code", "small", true, 10, &shared);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->to_tier, "large");
    std::vector<bool> mixed{false, false, true};
    EXPECT_FALSE(TierBumps().rate(route, "code", "small", true, 10, &mixed)) << "1 of 3 down is below 0.5";
}

TEST(SharedTierBumps, ReplaceAllMirrorsTheStore) {
    TierBumps bumps;
    bumps.restore({"auto", "code", "small", "large", 1, 0.75, 4, 1});
    bumps.replace_all({{"auto", "math", "small", "large", 1, 1.0, 2, 2}});
    EXPECT_FALSE(bumps.active("auto", "code")) << "reset on another replica";
    ASSERT_TRUE(bumps.active("auto", "math")) << "bumped on another replica";
    bumps.replace_all({});
    EXPECT_TRUE(bumps.list().empty());
}

TEST(SharedSpend, SeedAndLocalSpendAddUp) {
    SpendLedger ledger;
    ApiKeySpec key{"erin", "k", false, 1.0, ApiKeySpec::Period::day};
    double now = 86400.0 * 20000 + 3600;
    ledger.seed("erin", SpendLedger::period_start(key.period, now), 0.25);
    ledger.add(key, 0.5, now);
    EXPECT_DOUBLE_EQ(ledger.spent(key, now), 0.75);
    EXPECT_DOUBLE_EQ(ledger.spent(key, now + 86400), 0) << "the next day starts from zero";
    ledger.sync({key}, now);  // without a shared store: nothing to learn, nothing changes
    EXPECT_DOUBLE_EQ(ledger.spent(key, now + 86400), 0);
}
