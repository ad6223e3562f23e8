// eval/: metrics (quality, fraction of always-large, tier shares, cost, p50/p95) and the
// offline threshold sweep on a hand-made outcome table.
#include "eval/metrics.h"
#include "eval/offline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace switchyard::eval;

namespace {

Record rec(const std::string& id, const std::string& cls, const std::string& policy, const std::string& tier, const std::string& model,
           double score, double cost, double latency, bool ok = true) {
    Record r;
    r.case_id = id;
    r.task_class = cls;
    r.policy = policy;
    r.tier = tier;
    r.model = model;
    r.score = score;
    r.cost = cost;
    r.latency_ms = latency;
    r.ok = ok;
    return r;
}

const Summary& find(const std::vector<Summary>& v, const std::string& policy, const std::string& cls = "") {
    for (const auto& s : v) if (s.policy == policy && s.task_class == cls) return s;
    throw std::runtime_error("no summary " + policy + "/" + cls);
}

}  // namespace

TEST(EvalMetrics, PercentilesInterpolateBetweenRanks) {
    std::vector<double> v = {10, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    EXPECT_DOUBLE_EQ(percentile(v, 0.5), 5.5);
    EXPECT_DOUBLE_EQ(percentile(v, 0.95), 9.55);
    EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
    EXPECT_DOUBLE_EQ(percentile(v, 1), 10);
    EXPECT_DOUBLE_EQ(percentile({}, 0.5), 0);
    EXPECT_DOUBLE_EQ(percentile({3}, 0.95), 3);
}

TEST(EvalMetrics, SummariesPerPolicyAndClass) {
    std::vector<Record> rs = {
        rec("a", "math", "small", "small", "g", 0, 0, 100), rec("a", "math", "large", "large", "G", 1, 0.01, 300),
        rec("a", "math", "auto", "large", "G", 1, 0.01, 310),
        rec("b", "math", "small", "small", "g", 1, 0, 120), rec("b", "math", "large", "large", "G", 1, 0.01, 320),
        rec("b", "math", "auto", "small", "g", 1, 0, 110),
        rec("c", "text", "small", "small", "g", 1, 0, 90), rec("c", "text", "large", "large", "G", 0, 0.02, 280),
        rec("c", "text", "auto", "small", "g", 0, 0, 0, /*ok=*/false),
        rec("d", "text", "small", "small", "g", 0, 0, 80), rec("d", "text", "large", "large", "G", 1, 0.02, 290),
        rec("d", "text", "auto", "large", "G", 1, 0.02, 305),
    };
    auto s = summarize(rs, "large", {"G"});
    ASSERT_EQ(s.size(), 3u + 3u * 2u);
    EXPECT_EQ(s[0].policy, "small");  // policies in first-seen order, overall first
    const Summary& large = find(s, "large");
    EXPECT_DOUBLE_EQ(large.quality, 0.75);
    EXPECT_DOUBLE_EQ(large.quality_fraction, 1.0);
    EXPECT_DOUBLE_EQ(large.large_share, 1.0);
    EXPECT_DOUBLE_EQ(large.total_cost, 0.06);
    EXPECT_DOUBLE_EQ(large.cost_per_request, 0.015);
    const Summary& small = find(s, "small");
    EXPECT_DOUBLE_EQ(small.quality, 0.5);
    EXPECT_NEAR(small.quality_fraction, 2.0 / 3, 1e-12);
    EXPECT_DOUBLE_EQ(small.large_share, 0);
    EXPECT_DOUBLE_EQ(small.p50_ms, 95);
    const Summary& autop = find(s, "auto");
    EXPECT_EQ(autop.errors, 1);
    EXPECT_DOUBLE_EQ(autop.quality, 0.75);  // a failed request scores 0
    EXPECT_DOUBLE_EQ(autop.large_share, 0.5);
    EXPECT_DOUBLE_EQ(autop.tier_share.at("small"), 0.25);
    EXPECT_DOUBLE_EQ(autop.tier_share.at("large"), 0.5);
    EXPECT_DOUBLE_EQ(autop.tier_share.at("(failed)"), 0.25);
    EXPECT_DOUBLE_EQ(autop.p50_ms, 305);  // failed requests' latency is left out
    const Summary& text_small = find(s, "small", "text");
    EXPECT_EQ(text_small.n, 2);
    EXPECT_DOUBLE_EQ(text_small.quality, 0.5);
    EXPECT_DOUBLE_EQ(text_small.quality_fraction, 1.0);
    EXPECT_DOUBLE_EQ(find(s, "auto", "math").quality_fraction, 1.0);
    // Without a reference no fraction is claimed.
    EXPECT_LT(summarize(rs, "", {"G"})[0].quality_fraction, 0);
}

TEST(EvalMetrics, RecordsRoundTripThroughJson) {
    Record r = rec("a", "c", "p", "t", "m", 0.5, 0.25, 12);
    r.has_logprob = true;
    r.mean_logprob = -0.7;
    r.error = "boom";
    Record back = record_from_json(record_to_json(r));
    EXPECT_EQ(record_to_json(back), record_to_json(r));
}

namespace {

// Five prompts. Small is right on p1, p2, p5; large on all but p5. The router's score ranks
// p3 and p4 (where large helps) highest, p5 (where large hurts) lowest.
OutcomeTable hand_table(bool cascade) {
    OutcomeTable t;
    t.small = "s";
    t.large = "L";
    t.cascade = cascade;
    struct P { const char* id; double ss, ls, score; };
    for (P p : {P{"p1", 1, 1, 0.2}, P{"p2", 1, 1, 0.5}, P{"p3", 0, 1, 0.9}, P{"p4", 0, 1, 0.7}, P{"p5", 1, 0, 0.1}}) {
        OutcomeRow r{p.id, std::string(1, 'x'), {}, p.score};  // braced: GCC 12 warns falsely (-Wrestrict) on `= "x"`
        r.models["s"] = {p.ss, 0.001, 100, 10, 5};
        r.models["L"] = {p.ls, 0.01, 400, 10, 5};
        t.rows.push_back(r);
    }
    return t;
}

}  // namespace

TEST(EvalOffline, SweepTracesQualityAgainstLargeShare) {
    auto r = sweep(hand_table(false));
    EXPECT_EQ(r.n, 5);
    EXPECT_DOUBLE_EQ(r.small_quality, 0.6);
    EXPECT_DOUBLE_EQ(r.large_quality, 0.8);
    EXPECT_DOUBLE_EQ(r.oracle_quality, 1.0);
    EXPECT_DOUBLE_EQ(r.oracle_share, 0.4);
    ASSERT_EQ(r.curve.size(), 6u);  // never, then one cut per distinct score
    EXPECT_TRUE(std::isinf(r.curve[0].threshold));
    std::vector<double> share, quality;
    for (const auto& p : r.curve) { share.push_back(p.large_share); quality.push_back(p.quality); }
    EXPECT_EQ(share, (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
    EXPECT_EQ(quality, (std::vector<double>{0.6, 0.8, 1.0, 1.0, 1.0, 0.8}));
    EXPECT_DOUBLE_EQ(r.curve[2].threshold, 0.7);
    EXPECT_NEAR(r.curve[2].pgr, 2.0, 1e-12);
    EXPECT_NEAR(r.curve[2].cost, 2 * 0.01 + 3 * 0.001, 1e-12);
    EXPECT_TRUE(r.gap);
    // PGR points 0,1,2,2,2,1 at shares 0..1 step 0.2: trapezoids 0.1+0.3+0.4+0.4+0.3.
    EXPECT_NEAR(r.apgr, 1.5, 1e-12);
    EXPECT_DOUBLE_EQ(r.cpt50, 0.2);
    EXPECT_DOUBLE_EQ(r.cpt80, 0.2);
}

TEST(EvalOffline, CascadePaysForBothModelsWhenEscalating) {
    auto r = sweep(hand_table(true));
    EXPECT_NEAR(r.curve[2].cost, 2 * (0.01 + 0.001) + 3 * 0.001, 1e-12);
    EXPECT_NEAR(r.curve[2].latency_mean_ms, (2 * 500 + 3 * 100) / 5.0, 1e-9);
}

TEST(EvalOffline, NoGapMeansNoPgrAndUnscoredRowsStaySmall) {
    OutcomeTable t = hand_table(false);
    for (auto& row : t.rows) row.models["L"].score = row.models["s"].score;
    auto r = sweep(t);
    EXPECT_FALSE(r.gap);
    EXPECT_LT(r.cpt50, 0);
    t = hand_table(false);
    t.rows[2].router_score = std::nan("");
    auto u = sweep(t);
    EXPECT_DOUBLE_EQ(u.curve.back().large_share, 0.8);
    EXPECT_GT(u.apgr, 0);
    t.rows[0].models.erase("L");
    EXPECT_THROW(sweep(t), std::runtime_error);
}

TEST(EvalOffline, TableFilesRoundTripAndModelsAreToldApartByCost) {
    auto dir = std::filesystem::temp_directory_path() / ("eval-offline-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    write_outcomes(dir / "t.jsonl", hand_table(true));
    auto t = read_outcomes(dir / "t.jsonl");
    EXPECT_EQ(t.small, "s");
    EXPECT_TRUE(t.cascade);
    EXPECT_EQ(sweep(t).apgr, sweep(hand_table(true)).apgr);
    {
        std::ofstream f(dir / "bare.jsonl");
        f << R"({"id":"1","router_score":0.3,"outcomes":{"big":{"score":1,"cost":0.02},"tiny":{"score":0,"cost":0.001}}})" << "\n"
          << R"({"id":"2","outcomes":{"big":{"score":1,"cost":0.02},"tiny":{"score":1,"cost":0.001}}})" << "\n";
    }
    auto bare = read_outcomes(dir / "bare.jsonl");
    EXPECT_EQ(bare.small, "tiny");
    EXPECT_EQ(bare.large, "big");
    EXPECT_TRUE(std::isnan(bare.rows[1].router_score));
    EXPECT_EQ(read_outcomes(dir / "bare.jsonl", "big", "tiny").small, "big");
    { std::ofstream(dir / "bad.jsonl") << "{\"id\":\"1\"}\n"; }
    EXPECT_THROW(read_outcomes(dir / "bad.jsonl"), std::runtime_error);
    std::filesystem::remove_all(dir);
}
