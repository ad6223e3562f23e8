// distil/: training-set split and de-duplication, the promotion gate on constructed outcome
// tables, and the specialist overlay's route change (config/specialists.h).
#include "config/config.h"
#include "config/specialists.h"
#include "distil/gate.h"
#include "distil/training_set.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace switchyard;
using namespace switchyard::distil;
namespace fs = std::filesystem;

namespace {

Example ex(const std::string& id, const std::string& prompt, const std::string& answer, const std::string& source = "teacher") {
    Example e;
    e.id = id;
    e.task_class = "extraction";
    e.source = source;
    e.messages = json::array({{{"role", "user"}, {"content", prompt}}});
    e.answer = answer;
    e.reference = reference_for_label(answer.empty() ? "x" : answer);
    return e;
}

eval::OutcomeTable table(const std::vector<double>& specialised, const std::vector<double>& large) {
    eval::OutcomeTable t;
    for (std::size_t i = 0; i < specialised.size(); ++i) {
        eval::OutcomeRow r;
        r.id = "c" + std::to_string(i);
        r.models["specialised"].score = specialised[i];
        r.models["large"].score = large[i];
        t.rows.push_back(r);
    }
    return t;
}

}  // namespace

TEST(DistilSplit, DeduplicatesByNormalisedPromptAndCorrectionsWin) {
    std::vector<Example> all = {ex("a", "Extract: Ada, 1815", "{\"name\":\"Ada\"}"), ex("b", "  extract:   ADA, 1815 ", "{\"name\":\"Ada L\"}"),
                                ex("c", "Extract: ada, 1815", "{\"name\":\"Ada Lovelace\"}", "correction")};
    TrainingSet s = split(all, 0.0001);
    ASSERT_EQ(s.train.size() + s.heldout.size(), 1u);
    EXPECT_EQ(s.duplicates, 2);
    const Example& kept = s.train.empty() ? s.heldout[0] : s.train[0];
    EXPECT_EQ(kept.id, "c");  // the user's correction beats the large tier's answers
}

TEST(DistilSplit, SplitIsStableAndNearTheFraction) {
    std::vector<Example> all;
    for (int i = 0; i < 1000; ++i) all.push_back(ex("e" + std::to_string(i), "prompt number " + std::to_string(i), "answer"));
    TrainingSet s = split(all, 0.2);
    EXPECT_NEAR(static_cast<double>(s.heldout.size()) / 1000, 0.2, 0.05);
    // A prompt's side depends on the prompt only: adding data never moves a held-out prompt into training.
    all.push_back(ex("new", "one more prompt", "answer"));
    TrainingSet again = split(all, 0.2);
    for (const auto& h : s.heldout)
        EXPECT_TRUE(std::any_of(again.heldout.begin(), again.heldout.end(), [&](const Example& e) { return e.id == h.id; }));
    for (const auto& t : s.train)
        for (const auto& h : s.heldout) EXPECT_NE(prompt_key(t.messages), prompt_key(h.messages));
}

TEST(DistilSplit, UnlabelledPromptsNeverTrain) {
    std::vector<Example> all;
    for (int i = 0; i < 50; ++i) all.push_back(ex("e" + std::to_string(i), "p" + std::to_string(i), ""));
    TrainingSet s = split(all, 0.2);
    EXPECT_TRUE(s.train.empty());
    EXPECT_FALSE(s.heldout.empty());
}

TEST(DistilSplit, LabelReferences) {
    EXPECT_EQ(reference_for_label("{\"intent\": \"billing\"}").checker, "json_fields");
    EXPECT_EQ(reference_for_label("{\"intent\": \"billing\"}").answer["intent"], "billing");
    EXPECT_EQ(reference_for_label("Paris").checker, "normalized");
    json line = train_line(ex("a", "q", "{\"a\":1}"));
    EXPECT_EQ(line["answer"], "{\"a\":1}");
    EXPECT_EQ(line["messages"][0]["content"], "q");
}

TEST(DistilGate, RefusedBelowTheGateWithTheGap) {
    // Large right on 20 of 20, specialist on 18: 90% < 97%.
    std::vector<double> s(20, 1.0), l(20, 1.0);
    s[3] = s[7] = 0;
    GateResult g = gate(table(s, l), "specialised", "large", 0.97);
    EXPECT_FALSE(g.pass);
    EXPECT_DOUBLE_EQ(g.candidate, 0.9);
    EXPECT_DOUBLE_EQ(g.fraction, 0.9);
    EXPECT_NE(g.why.find("gap of 0.070"), std::string::npos) << g.why;
    EXPECT_LE(g.diff_ci.lo, -0.0);
}

TEST(DistilGate, AcceptedAtOrAboveTheGate) {
    // Large 0.8 (16/20), specialist 0.8: 100%; and 15.5/20 = 96.9% of 16/20 refused at 97%, passes at 96%.
    std::vector<double> l(20, 1.0), s(20, 1.0);
    for (int i : {0, 1, 2, 3}) l[i] = 0;
    for (int i : {4, 5, 6, 7}) s[i] = 0;
    EXPECT_TRUE(gate(table(s, l), "specialised", "large", 0.97).pass);
    s[8] = 0.5;
    EXPECT_FALSE(gate(table(s, l), "specialised", "large", 0.97).pass);
    EXPECT_TRUE(gate(table(s, l), "specialised", "large", 0.96).pass);
}

TEST(DistilGate, RefusesTooFewCasesOrANothingToMatchReference) {
    EXPECT_FALSE(gate(table({1, 1, 1}, {1, 1, 1}), "specialised", "large", 0.97).pass);
    EXPECT_NE(gate(table({1, 1, 1}, {1, 1, 1}), "specialised", "large", 0.97).why.find("at least 10"), std::string::npos);
    EXPECT_FALSE(gate(table(std::vector<double>(12, 0), std::vector<double>(12, 0)), "specialised", "large", 0.97).pass);
    EXPECT_THROW(gate(table({1}, {1}), "nope", "large", 0.97), std::invalid_argument);
}

TEST(DistilGate, BootstrapIntervalsContainTheMean) {
    std::vector<double> v = {1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    Interval ci = bootstrap_mean(v);
    EXPECT_LE(ci.lo, 0.7);
    EXPECT_GE(ci.hi, 0.7);
    EXPECT_GT(ci.hi - ci.lo, 0.1);
    Interval same = bootstrap_mean(std::vector<double>(10, 1.0));
    EXPECT_DOUBLE_EQ(same.lo, 1.0);
    EXPECT_DOUBLE_EQ(same.hi, 1.0);
}

namespace {
RouteSpec tasks_route() {
    RouteSpec r;
    r.name = "tasks";
    r.tiers = {{"small", "local", "smol"}, {"large", "local", "qwen"}};
    RuleSpec tools;
    tools.name = "tools";
    tools.tools = true;
    tools.tier = "large";
    RuleSpec longp;
    longp.name = "long";
    longp.min_chars = 4000;
    longp.tier = "large";
    r.rules = {tools, longp};
    r.feedback.enabled = true;
    return r;
}
}  // namespace

TEST(Specialists, TierGoesBelowTheClassTierAndARuleSendsTheClass) {
    RouteSpec r = tasks_route();
    Specialist s{"tasks", "extraction", "smol-extraction", "x.gguf", "", ""};
    RouteSpec out = route_with_specialist(r, s);
    ASSERT_EQ(out.tiers.size(), 3u);
    EXPECT_EQ(out.tiers[1].name, "distil-extraction");   // just below large: a feedback bump lands on large
    EXPECT_EQ(out.tiers[1].model, "smol-extraction");
    EXPECT_EQ(out.tiers[2].name, "large");
    ASSERT_EQ(out.rules.size(), 3u);
    EXPECT_EQ(out.rules[0].name, "tools");                // capability rules still come first
    EXPECT_EQ(out.rules[1].task, "extraction");
    EXPECT_EQ(out.rules[1].tier, "distil-extraction");
    // A class already ruled to a tier: the specialist goes below that tier and takes the rule over.
    RuleSpec to_small;
    to_small.name = "x";
    to_small.task = "extraction";
    to_small.tier = "small";
    r.rules.push_back(to_small);
    RouteSpec again = route_with_specialist(r, s);
    EXPECT_EQ(again.tiers[0].name, "distil-extraction");
    EXPECT_EQ(again.rules.back().tier, "distil-extraction");
    EXPECT_EQ(again.rules.size(), 3u);
    // Promoting a newer specialist for the same class replaces the model, not the shape.
    Specialist newer{"tasks", "extraction", "smol-extraction-v2", "y.gguf", "", ""};
    RouteSpec twice = route_with_specialist(out, newer);
    EXPECT_EQ(twice.tiers.size(), 3u);
    EXPECT_EQ(twice.tiers[1].model, "smol-extraction-v2");
}

TEST(Specialists, OverlayRoundTripsAndLoadsWithTheConfig) {
    const fs::path dir = fs::temp_directory_path() / ("sy-specialists-" + std::to_string(::getpid()));
    fs::create_directories(dir / "models");
    std::ofstream(dir / "models/spec.gguf") << "not really a model";
    write_specialists(dir / "specialists.yaml", {{"tasks", "extraction", "smol-extraction", "spec.gguf", "", "m.json"}});
    auto list = read_specialists(dir / "specialists.yaml");
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].task_class, "extraction");
    EXPECT_EQ(list[0].manifest, "m.json");
    const std::string yaml = R"(
models_dir: models
specialists: specialists.yaml
models:
  - {name: smol, file: smol.gguf}
  - {name: qwen, file: qwen.gguf}
routes:
  - name: tasks
    tiers: [{name: small, model: smol}, {name: large, model: qwen}]
    rules: [{name: ext, task: extraction, tier: large}]
)";
    std::ofstream(dir / "c.yaml") << yaml;
    Config cfg = load_config(dir / "c.yaml");
    ASSERT_NE(cfg.find_model("smol-extraction"), nullptr);
    EXPECT_EQ(cfg.find_model("smol-extraction")->sampling.temperature, 0.0f);
    const RouteSpec* route = cfg.find_route("tasks");
    ASSERT_EQ(route->tiers.size(), 3u);
    EXPECT_EQ(route->tiers[1].name, "distil-extraction");
    EXPECT_EQ(route->rules[0].tier, "distil-extraction");
    // A file outside models_dir and the overlay's folder is refused.
    write_specialists(dir / "specialists.yaml", {{"tasks", "extraction", "evil", "/etc/passwd", "", ""}});
    EXPECT_THROW(load_config(dir / "c.yaml"), ConfigError);
    write_specialists(dir / "specialists.yaml", {{"nope", "extraction", "s", "spec.gguf", "", ""}});
    EXPECT_THROW(load_config(dir / "c.yaml"), ConfigError);
    fs::remove_all(dir);
}
