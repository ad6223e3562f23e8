// eval/: the Markdown, JSON and SVG reports are complete and well-formed.
#include "eval/report.h"

#include <gtest/gtest.h>

#include <regex>
#include <vector>

using namespace switchyard::eval;

namespace {

Report sample() {
    Report r;
    r.title = "T <&> test";
    r.reference = "large";
    r.notes = {"a note"};
    std::vector<Record> rs;
    for (int i = 0; i < 4; ++i)
        for (const char* p : {"small", "large"}) {
            Record x;
            x.case_id = "c" + std::to_string(i);
            x.task_class = i % 2 ? "odd" : "even";
            x.policy = p;
            x.tier = p;
            x.model = p;
            x.score = std::string(p) == "large" ? 1 : i % 2;
            x.latency_ms = 100 + i;
            rs.push_back(x);
        }
    r.summaries = summarize(rs, "large", {"large"});
    OutcomeTable t;
    t.small = "small";
    t.large = "large";
    for (int i = 0; i < 4; ++i) {
        OutcomeRow row;
        row.id = "c" + std::to_string(i);
        row.router_score = i;
        row.models["small"] = {double(i % 2)};
        row.models["large"] = {1.0};
        t.rows.push_back(row);
    }
    r.sweep = sweep(t);
    r.table = t;
    return r;
}

// Every opened tag is closed in order (self-closing ones count as both): enough to catch broken output.
bool tags_balanced(const std::string& xml) {
    std::vector<std::string> stack;
    std::regex tag(R"(<(/?)([a-zA-Z]+)[^>]*?(/?)>)");
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        if (m[3].length()) continue;
        if (m[1].length()) {
            if (stack.empty() || stack.back() != m[2]) return false;
            stack.pop_back();
        } else {
            stack.push_back(m[2]);
        }
    }
    return stack.empty();
}

}  // namespace

TEST(EvalReport, MarkdownHasPolicyClassAndSweepTables) {
    const std::string md = markdown_report(sample());
    EXPECT_EQ(md.rfind("# T <&> test\n", 0), 0u);
    EXPECT_NE(md.find("| small | 4 | 0.500 | 50.0% | 0.0% |"), std::string::npos) << md;
    EXPECT_NE(md.find("| large | 4 | 1.000 | 100.0% | 100.0% |"), std::string::npos) << md;
    EXPECT_NE(md.find("| even | 2 | 0.000 (0.0%) | 1.000 (100.0%) |"), std::string::npos) << md;
    EXPECT_NE(md.find("## Threshold sweep"), std::string::npos);
    EXPECT_NE(md.find("| ∞ | 0.0% | 0.500 | 0.00 |"), std::string::npos) << md;
    // Every table row has as many cells as its header.
    std::size_t header_cells = 0;
    std::istringstream in(md);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] != '|') { header_cells = 0; continue; }
        const auto cells = std::count(line.begin(), line.end(), '|');
        if (!header_cells) header_cells = cells;
        EXPECT_EQ(static_cast<std::size_t>(cells), header_cells) << line;
    }
}

TEST(EvalReport, JsonCarriesSummariesAndTheCurve) {
    json j = json::parse(json_report(sample()).dump());
    ASSERT_EQ(j["policies"].size(), 2u);
    EXPECT_EQ(j["policies"][1]["policy"], "large");
    EXPECT_EQ(j["policies"][0]["quality_fraction_of_reference"], 0.5);
    EXPECT_EQ(j["per_class"].size(), 4u);
    EXPECT_EQ(j["sweep"]["curve"][0]["threshold"], "inf");
    EXPECT_EQ(j["sweep"]["curve"].size(), 5u);
    EXPECT_TRUE(j["sweep"]["apgr"].is_number());
    Report empty;
    EXPECT_TRUE(json_report(empty)["sweep"].is_null());
}

TEST(EvalReport, SvgIsWellFormedAndEscaped) {
    Report r = sample();
    const std::string svg = svg_plot(r.title, &*r.sweep, {{"a<b", 0.5, 0.75}, {"auto", 0.25, 0.6}});
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_NE(svg.find("T &lt;&amp;&gt; test"), std::string::npos);
    EXPECT_NE(svg.find(">a&lt;b<"), std::string::npos);
    EXPECT_EQ(svg.find("a<b"), std::string::npos);
    EXPECT_NE(svg.find("<polyline"), std::string::npos);
    EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 10, true);
    EXPECT_TRUE(tags_balanced(svg));
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    // No sweep, no points: still a valid, empty plot.
    const std::string bare = svg_plot("x", nullptr, {});
    EXPECT_TRUE(tags_balanced(bare));
    EXPECT_EQ(bare.find("<polyline"), std::string::npos);
    EXPECT_EQ(xml_escape("\"'&"), "&quot;&apos;&amp;");
}
