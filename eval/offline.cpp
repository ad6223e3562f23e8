#include "eval/offline.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>

namespace switchyard::eval {

namespace {

ModelOutcome outcome_from_json(const json& j) {
    ModelOutcome o;
    o.score = j.value("score", 0.0);
    o.cost = j.value("cost", 0.0);
    o.latency_ms = j.value("latency_ms", 0.0);
    o.prompt_tokens = j.value("prompt_tokens", 0);
    o.completion_tokens = j.value("completion_tokens", 0);
    return o;
}

}  // namespace

OutcomeTable read_outcomes(const std::filesystem::path& file, const std::string& small, const std::string& large) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read outcomes " + file.string());
    OutcomeTable t;
    std::string line;
    std::map<std::string, double> total_cost;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = file.string() + ":" + std::to_string(n);
        json j = json::parse(line, nullptr, false);
        if (!j.is_object()) throw std::runtime_error(where + ": not a JSON object");
        if (j.contains("meta")) {
            const json& m = j["meta"];
            t.small = m.value("small", "");
            t.large = m.value("large", "");
            t.cascade = m.value("cascade", false);
            t.score_name = m.value("score", "");
            continue;
        }
        OutcomeRow row;
        row.id = j.value("id", "");
        row.task_class = j.value("class", "default");
        if (j.contains("router_score") && j["router_score"].is_number()) row.router_score = j["router_score"].get<double>();
        if (row.id.empty() || !j.contains("outcomes") || !j["outcomes"].is_object())
            throw std::runtime_error(where + ": a row needs 'id' and an 'outcomes' object");
        for (const auto& [model, o] : j["outcomes"].items()) {
            row.models[model] = outcome_from_json(o);
            total_cost[model] += row.models[model].cost;
        }
        t.rows.push_back(std::move(row));
    }
    if (!small.empty()) t.small = small;
    if (!large.empty()) t.large = large;
    if ((t.small.empty() || t.large.empty()) && total_cost.size() == 2) {
        auto a = total_cost.begin(), b = std::next(a);
        if (a->second == b->second) throw std::runtime_error(file.string() + ": two models of equal cost; name --small and --large");
        if (a->second > b->second) std::swap(a, b);
        t.small = a->first;
        t.large = b->first;
    }
    if (t.small.empty() || t.large.empty())
        throw std::runtime_error(file.string() + ": cannot tell the small and large models apart; name --small and --large");
    return t;
}

void write_outcomes(const std::filesystem::path& file, const OutcomeTable& t) {
    std::ofstream out(file);
    if (!out) throw std::runtime_error("cannot write " + file.string());
    out << json{{"meta", {{"small", t.small}, {"large", t.large}, {"cascade", t.cascade}, {"score", t.score_name}}}}.dump() << "\n";
    for (const auto& r : t.rows) {
        json o = json::object();
        for (const auto& [m, x] : r.models)
            o[m] = {{"score", x.score}, {"cost", x.cost}, {"latency_ms", x.latency_ms}, {"prompt_tokens", x.prompt_tokens},
                    {"completion_tokens", x.completion_tokens}};
        out << json{{"id", r.id}, {"class", r.task_class},
                    {"router_score", std::isnan(r.router_score) ? json(nullptr) : json(r.router_score)}, {"outcomes", o}}.dump()
            << "\n";
    }
}

SweepResult sweep(const OutcomeTable& t) {
    SweepResult r;
    r.n = static_cast<int>(t.rows.size());
    if (r.n == 0) return r;
    std::vector<const ModelOutcome*> s(r.n), l(r.n);
    std::set<double, std::greater<>> thresholds;
    for (int i = 0; i < r.n; ++i) {
        const auto& row = t.rows[i];
        auto si = row.models.find(t.small), li = row.models.find(t.large);
        if (si == row.models.end() || li == row.models.end())
            throw std::runtime_error("row '" + row.id + "' has no outcome for " + (si == row.models.end() ? t.small : t.large));
        s[i] = &si->second;
        l[i] = &li->second;
        r.small_quality += s[i]->score;
        r.large_quality += l[i]->score;
        r.small_cost += s[i]->cost;
        r.large_cost += l[i]->cost;
        const bool oracle_large = l[i]->score > s[i]->score;
        r.oracle_quality += oracle_large ? l[i]->score : s[i]->score;
        r.oracle_share += oracle_large;
        if (!std::isnan(row.router_score)) thresholds.insert(row.router_score);
    }
    r.small_quality /= r.n;
    r.large_quality /= r.n;
    r.oracle_quality /= r.n;
    r.oracle_share /= r.n;
    r.gap = r.large_quality > r.small_quality;
    const double gap = r.large_quality - r.small_quality;

    // One point per distinct score: everything at or above it goes to the large model.
    std::vector<double> cuts = {std::numeric_limits<double>::infinity()};
    cuts.insert(cuts.end(), thresholds.begin(), thresholds.end());
    for (double cut : cuts) {
        CurvePoint p;
        p.threshold = cut;
        for (int i = 0; i < r.n; ++i) {
            const double score = t.rows[i].router_score;
            const bool up = !std::isnan(score) && score >= cut;
            const ModelOutcome& o = up ? *l[i] : *s[i];
            p.quality += o.score;
            p.cost += o.cost + (up && t.cascade ? s[i]->cost : 0);
            p.latency_mean_ms += o.latency_ms + (up && t.cascade ? s[i]->latency_ms : 0);
            p.large_share += up;
        }
        p.quality /= r.n;
        p.large_share /= r.n;
        p.latency_mean_ms /= r.n;
        p.pgr = r.gap ? (p.quality - r.small_quality) / gap : 0;
        r.curve.push_back(p);
    }
    if (r.gap) {
        // Trapezoids over the measured points, closed at share 1 by always-large (PGR 1) when the
        // sweep stops short of it (rows without a score never escalate).
        std::vector<std::pair<double, double>> pts;
        for (const auto& p : r.curve) pts.emplace_back(p.large_share, p.pgr);
        if (pts.back().first < 1) pts.emplace_back(1.0, 1.0);
        for (std::size_t i = 1; i < pts.size(); ++i)
            r.apgr += (pts[i].first - pts[i - 1].first) * (pts[i].second + pts[i - 1].second) / 2;
        for (const auto& p : r.curve) {
            if (r.cpt50 < 0 && p.pgr >= 0.5) r.cpt50 = p.large_share;
            if (r.cpt80 < 0 && p.pgr >= 0.8) r.cpt80 = p.large_share;
        }
    }
    return r;
}

json sweep_to_json(const SweepResult& r, const OutcomeTable& t) {
    json curve = json::array();
    for (const auto& p : r.curve)
        curve.push_back({{"threshold", std::isinf(p.threshold) ? json("inf") : json(p.threshold)}, {"large_share", p.large_share},
                         {"quality", p.quality}, {"pgr", r.gap ? json(p.pgr) : json(nullptr)}, {"cost", p.cost},
                         {"latency_mean_ms", p.latency_mean_ms}});
    auto opt = [&](double v) { return r.gap && v >= 0 ? json(v) : json(nullptr); };
    return {{"n", r.n}, {"small", t.small}, {"large", t.large}, {"cascade", t.cascade}, {"score", t.score_name},
            {"small_quality", r.small_quality}, {"large_quality", r.large_quality}, {"small_cost", r.small_cost},
            {"large_cost", r.large_cost}, {"oracle_quality", r.oracle_quality}, {"oracle_large_share", r.oracle_share},
            {"apgr", r.gap ? json(r.apgr) : json(nullptr)}, {"cpt50", opt(r.cpt50)}, {"cpt80", opt(r.cpt80)}, {"curve", curve}};
}

}  // namespace switchyard::eval
