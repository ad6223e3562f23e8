#include "distil/gate.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace switchyard::distil {

namespace {

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / v.size();
}

Interval percentile_interval(std::vector<double> means) {
    if (means.empty()) return {};
    std::sort(means.begin(), means.end());
    auto at = [&](double p) { return means[std::min(means.size() - 1, static_cast<std::size_t>(p * (means.size() - 1) + 0.5))]; };
    return {at(0.025), at(0.975)};
}

}  // namespace

Interval bootstrap_mean(const std::vector<double>& values, int reps) {
    return bootstrap_diff(values, std::vector<double>(values.size(), 0.0), reps);
}

Interval bootstrap_diff(const std::vector<double>& a, const std::vector<double>& b, int reps) {
    if (a.empty() || a.size() != b.size()) return {};
    std::mt19937_64 rng(20261201);
    std::uniform_int_distribution<std::size_t> pick(0, a.size() - 1);
    std::vector<double> means;
    means.reserve(reps);
    for (int r = 0; r < reps; ++r) {
        double s = 0;
        for (std::size_t i = 0; i < a.size(); ++i) { auto j = pick(rng); s += a[j] - b[j]; }
        means.push_back(s / a.size());
    }
    return percentile_interval(std::move(means));
}

GateResult gate(const std::vector<double>& candidate, const std::vector<double>& reference, double min_fraction, int min_cases) {
    if (candidate.size() != reference.size()) throw std::invalid_argument("the gate compares scores on the same cases");
    if (min_fraction <= 0 || min_fraction > 1.5) throw std::invalid_argument("the gate's fraction must be in (0, 1.5]");
    GateResult g;
    g.n = static_cast<int>(candidate.size());
    g.min_fraction = min_fraction;
    g.candidate = mean(candidate);
    g.reference = mean(reference);
    g.fraction = g.reference > 0 ? g.candidate / g.reference : 0;
    g.candidate_ci = bootstrap_mean(candidate);
    g.reference_ci = bootstrap_mean(reference);
    g.diff_ci = bootstrap_diff(candidate, reference);
    char buf[400];
    if (g.n < min_cases) {
        std::snprintf(buf, sizeof buf, "refused: %d held-out cases, the gate needs at least %d", g.n, min_cases);
    } else if (g.reference <= 0) {
        std::snprintf(buf, sizeof buf, "refused: the large tier scores 0 on the %d held-out cases, so there is no quality to match", g.n);
    } else {
        g.pass = g.candidate >= min_fraction * g.reference - 1e-12;
        const double need = min_fraction * g.reference;
        if (g.pass)
            std::snprintf(buf, sizeof buf, "passed: %.3f is %.1f%% of the large tier's %.3f (gate %.0f%%, n=%d)", g.candidate,
                          100 * g.fraction, g.reference, 100 * min_fraction, g.n);
        else
            std::snprintf(buf, sizeof buf,
                          "refused: %.3f is %.1f%% of the large tier's %.3f; the gate needs %.3f (%.0f%%), a gap of %.3f "
                          "(about %d of %d cases)",
                          g.candidate, 100 * g.fraction, g.reference, need, 100 * min_fraction, need - g.candidate,
                          static_cast<int>((need - g.candidate) * g.n + 0.999), g.n);
    }
    g.why = buf;
    return g;
}

GateResult gate(const eval::OutcomeTable& table, const std::string& candidate, const std::string& reference, double min_fraction,
                int min_cases) {
    std::vector<double> a, b;
    bool saw_a = false, saw_b = false;
    for (const auto& row : table.rows) {
        auto ia = row.models.find(candidate), ib = row.models.find(reference);
        saw_a = saw_a || ia != row.models.end();
        saw_b = saw_b || ib != row.models.end();
        if (ia == row.models.end() || ib == row.models.end()) continue;
        a.push_back(ia->second.score);
        b.push_back(ib->second.score);
    }
    if (!saw_a) throw std::invalid_argument("the outcome table has no model named '" + candidate + "'");
    if (!saw_b) throw std::invalid_argument("the outcome table has no model named '" + reference + "'");
    return gate(a, b, min_fraction, min_cases);
}

nlohmann::json gate_json(const GateResult& g) {
    return {{"n", g.n}, {"candidate", g.candidate}, {"reference", g.reference}, {"fraction", g.fraction},
            {"min_fraction", g.min_fraction}, {"pass", g.pass},
            {"candidate_ci95", {g.candidate_ci.lo, g.candidate_ci.hi}}, {"reference_ci95", {g.reference_ci.lo, g.reference_ci.hi}},
            {"difference_ci95", {g.diff_ci.lo, g.diff_ci.hi}}, {"why", g.why}};
}

}  // namespace switchyard::distil
