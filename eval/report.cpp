#include "eval/report.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace switchyard::eval {

namespace {

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string pct(double v) { return v < 0 ? "n/a" : fmt("%.1f%%", 100 * v); }

std::string usd(double v) {
    if (v == 0) return "$0";
    return v >= 0.01 ? fmt("$%.4f", v) : fmt("$%.6f", v);
}

std::string shares(const Summary& s) {
    std::string out;
    for (const auto& [tier, share] : s.tier_share) out += (out.empty() ? "" : ", ") + tier + " " + pct(share);
    return out;
}

}  // namespace

std::string markdown_report(const Report& r) {
    std::ostringstream md;
    md << "# " << r.title << "\n\n";
    for (const auto& n : r.notes) md << n << "\n\n";
    if (!r.summaries.empty()) {
        md << "## Policies\n\n| policy | n | quality | of " << (r.reference.empty() ? "large" : r.reference)
           << " | large-tier share | tiers | total cost | cost/request | p50 | p95 | errors |\n"
           << "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n";
        for (const auto& s : r.summaries) {
            if (!s.task_class.empty()) continue;
            md << "| " << s.policy << " | " << s.n << " | " << fmt("%.3f", s.quality) << " | " << pct(s.quality_fraction) << " | "
               << pct(s.large_share) << " | " << shares(s) << " | " << usd(s.total_cost) << " | " << usd(s.cost_per_request)
               << " | " << fmt("%.0f ms", s.p50_ms) << " | " << fmt("%.0f ms", s.p95_ms) << " | " << s.errors << " |\n";
        }
        // Quality per class: one row per class, one column per policy (the order of the first table).
        std::vector<std::string> policies;
        std::set<std::string> classes;
        for (const auto& s : r.summaries) {
            if (s.task_class.empty()) policies.push_back(s.policy);
            else classes.insert(s.task_class);
        }
        md << "\n## Quality per task class\n\nquality (large-tier share)\n\n| class | n |";
        for (const auto& p : policies) md << " " << p << " |";
        md << "\n|---|---:|";
        for (std::size_t i = 0; i < policies.size(); ++i) md << "---:|";
        md << "\n";
        for (const auto& c : classes) {
            int n = 0;
            std::string cells;
            for (const auto& p : policies) {
                const Summary* found = nullptr;
                for (const auto& s : r.summaries) if (s.policy == p && s.task_class == c) found = &s;
                if (found) n = std::max(n, found->n);
                // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on `" " + std::string&&`.
                if (!found) { cells += " – |"; continue; }
                cells += ' ';
                cells += fmt("%.3f", found->quality);
                cells += " (";
                cells += pct(found->large_share);
                cells += ") |";
            }
            md << "| " << c << " | " << n << " |" << cells << "\n";
        }
    }
    if (r.sweep && r.table) {
        const auto& s = *r.sweep;
        md << "\n## Threshold sweep\n\n"
           << "Small = `" << r.table->small << "`, large = `" << r.table->large << "`; a request goes to the large model when its "
           << "router score (" << (r.table->score_name.empty() ? "router_score" : r.table->score_name) << ") is at or above the threshold"
           << (r.table->cascade ? " (a cascade: escalated requests pay for both models)" : "") << ".\n\n"
           << "- always-small quality " << fmt("%.3f", s.small_quality) << ", always-large " << fmt("%.3f", s.large_quality)
           << ", oracle " << fmt("%.3f", s.oracle_quality) << " at " << pct(s.oracle_share) << " large\n";
        if (s.gap)
            md << "- APGR " << fmt("%.3f", s.apgr) << " (0.5 = no better than random routing); large share for 50% of the gap: "
               << pct(s.cpt50) << ", for 80%: " << pct(s.cpt80) << "\n";
        else
            md << "- the large model is not better than the small one here, so the gap recovered (PGR, APGR) is undefined\n";
        md << "\n| threshold | large share | quality | PGR | cost | mean latency |\n|---:|---:|---:|---:|---:|---:|\n";
        // Long sweeps are thinned to about 20 rows; the JSON report has every point.
        const std::size_t step = std::max<std::size_t>(1, s.curve.size() / 20);
        for (std::size_t i = 0; i < s.curve.size(); ++i) {
            if (i % step && i + 1 != s.curve.size()) continue;
            const auto& p = s.curve[i];
            md << "| " << (std::isinf(p.threshold) ? std::string("∞") : fmt("%.3f", p.threshold)) << " | " << pct(p.large_share)
               << " | " << fmt("%.3f", p.quality) << " | " << (s.gap ? fmt("%.2f", p.pgr) : "n/a") << " | " << usd(p.cost)
               << " | " << fmt("%.0f ms", p.latency_mean_ms) << " |\n";
        }
    }
    return md.str();
}

json json_report(const Report& r) {
    json j = {{"title", r.title}, {"notes", r.notes}, {"reference", r.reference}};
    json policies = json::array(), classes = json::array();
    for (const auto& s : r.summaries) (s.task_class.empty() ? policies : classes).push_back(summary_to_json(s));
    j["policies"] = policies;
    j["per_class"] = classes;
    j["sweep"] = (r.sweep && r.table) ? sweep_to_json(*r.sweep, *r.table) : json(nullptr);
    return j;
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace switchyard::eval
