// The three outputs of an evaluation: a Markdown report (tables for people), a JSON report
// (everything, for scripts) and an SVG plot of quality against share of large-tier calls.
#pragma once

#include "eval/metrics.h"
#include "eval/offline.h"

#include <optional>
#include <string>
#include <vector>

namespace switchyard::eval {

struct Report {
    std::string title = "Switchyard evaluation";
    std::vector<std::string> notes;          // one Markdown paragraph each (what ran, on what)
    std::string reference;                   // the always-large policy ("" = none)
    std::vector<Summary> summaries;          // from summarize(); may be empty (offline mode)
    std::optional<OutcomeTable> table;       // the sweep's input (names, score meaning)
    std::optional<SweepResult> sweep;
};

std::string markdown_report(const Report& r);
json json_report(const Report& r);

// A labelled point on the plot (a measured policy).
struct PlotPoint {
    std::string label;
    double large_share = 0, quality = 0;
};

// Quality (y) against share of large calls (x, 0..1): the threshold sweep as a line, the
// random-routing baseline dashed, and the given policies as labelled dots. Standalone SVG 1.1.
std::string svg_plot(const std::string& title, const SweepResult* sweep, const std::vector<PlotPoint>& points);

// "&<>\"'" escaped for XML text and attributes.
std::string xml_escape(const std::string& s);

}  // namespace switchyard::eval
