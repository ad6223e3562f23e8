// The promotion gate: a specialised model takes over a class only when, on the class's held-out
// split, its quality reaches a configured fraction (default 97%) of the large tier's, on the
// same cases. Scores come from an outcome table (eval/offline.h format), so a gate decision can
// be recomputed, or constructed in a test, without running a model.
#pragma once

#include "eval/offline.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::distil {

struct Interval {
    double lo = 0, hi = 0;
};

// 95% percentile-bootstrap interval of the mean (deterministic: a fixed seed).
Interval bootstrap_mean(const std::vector<double>& values, int reps = 2000);
// Same, for the mean of paired differences a[i] - b[i].
Interval bootstrap_diff(const std::vector<double>& a, const std::vector<double>& b, int reps = 2000);

struct GateResult {
    int n = 0;
    double candidate = 0, reference = 0;   // mean scores on the same cases
    double fraction = 0;                   // candidate / reference (0 when reference is 0)
    double min_fraction = 0.97;
    bool pass = false;
    Interval candidate_ci, reference_ci, diff_ci;
    std::string why;                       // one line: the decision, or the gap to close
};

// Refuses with fewer than `min_cases` cases, or when the reference scores 0 (nothing to keep).
GateResult gate(const std::vector<double>& candidate, const std::vector<double>& reference, double min_fraction,
                int min_cases = 10);
// From a table: rows that have both models. Throws std::invalid_argument if a name is absent.
GateResult gate(const eval::OutcomeTable& table, const std::string& candidate, const std::string& reference,
                double min_fraction, int min_cases = 10);

nlohmann::json gate_json(const GateResult& g);

}  // namespace switchyard::distil
