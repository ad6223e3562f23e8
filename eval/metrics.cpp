#include "eval/metrics.h"

#include <algorithm>
#include <cmath>

namespace switchyard::eval {

json record_to_json(const Record& r) {
    json j = {{"id", r.case_id}, {"class", r.task_class}, {"policy", r.policy}, {"tier", r.tier}, {"model", r.model},
              {"ok", r.ok}, {"score", r.score}, {"detail", r.detail}, {"cost", r.cost}, {"latency_ms", r.latency_ms},
              {"prompt_tokens", r.prompt_tokens}, {"completion_tokens", r.completion_tokens},
              {"escalations", r.escalations}, {"cached", r.cached}, {"answer", r.answer}};
    if (!r.error.empty()) j["error"] = r.error;
    if (r.has_logprob) j["mean_logprob"] = r.mean_logprob;
    return j;
}

Record record_from_json(const json& j) {
    Record r;
    r.case_id = j.value("id", "");
    r.task_class = j.value("class", "");
    r.policy = j.value("policy", "");
    r.tier = j.value("tier", "");
    r.model = j.value("model", "");
    r.ok = j.value("ok", true);
    r.error = j.value("error", "");
    r.answer = j.value("answer", "");
    r.score = j.value("score", 0.0);
    r.detail = j.value("detail", "");
    r.cost = j.value("cost", 0.0);
    r.latency_ms = j.value("latency_ms", 0.0);
    r.prompt_tokens = j.value("prompt_tokens", 0);
    r.completion_tokens = j.value("completion_tokens", 0);
    r.escalations = j.value("escalations", 0);
    r.cached = j.value("cached", false);
    r.has_logprob = j.contains("mean_logprob");
    r.mean_logprob = j.value("mean_logprob", 0.0);
    return r;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const double pos = std::clamp(p, 0.0, 1.0) * (v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

namespace {

Summary summarize_group(const std::string& policy, const std::string& cls, const std::vector<const Record*>& rs,
                        const std::set<std::string>& large_models) {
    Summary s;
    s.policy = policy;
    s.task_class = cls;
    s.n = static_cast<int>(rs.size());
    std::vector<double> lat;
    double score = 0;
    int large = 0;
    for (const Record* r : rs) {
        score += r->score;
        s.total_cost += r->cost;
        if (!r->ok) ++s.errors;
        else lat.push_back(r->latency_ms);
        if (r->ok && large_models.count(r->model)) ++large;
        s.tier_share[r->ok ? r->tier : "(failed)"] += 1;
    }
    if (s.n == 0) return s;
    s.quality = score / s.n;
    s.large_share = double(large) / s.n;
    s.cost_per_request = s.total_cost / s.n;
    for (auto& [tier, share] : s.tier_share) share /= s.n;
    // Latency of failed requests says nothing about the policy's speed; they are counted in `errors`.
    s.p50_ms = percentile(lat, 0.50);
    s.p95_ms = percentile(lat, 0.95);
    return s;
}

}  // namespace

std::vector<Summary> summarize(const std::vector<Record>& records, const std::string& reference,
                               const std::set<std::string>& large_models) {
    std::vector<std::string> policies;
    std::set<std::string> classes;
    for (const auto& r : records) {
        if (std::find(policies.begin(), policies.end(), r.policy) == policies.end()) policies.push_back(r.policy);
        classes.insert(r.task_class);
    }
    // The reference's score per case, so a fraction compares the same cases even when a run is partial.
    std::map<std::string, double> ref_score;
    for (const auto& r : records) if (r.policy == reference) ref_score[r.case_id] = r.score;

    std::vector<Summary> out;
    auto add = [&](const std::string& policy, const std::string& cls) {
        std::vector<const Record*> rs;
        double mine = 0, theirs = 0;
        int paired = 0;
        for (const auto& r : records) {
            if (r.policy != policy || (!cls.empty() && r.task_class != cls)) continue;
            rs.push_back(&r);
            if (auto it = ref_score.find(r.case_id); it != ref_score.end()) { mine += r.score; theirs += it->second; ++paired; }
        }
        if (rs.empty()) return;
        Summary s = summarize_group(policy, cls, rs, large_models);
        if (paired > 0 && theirs > 0) s.quality_fraction = mine / theirs;
        out.push_back(std::move(s));
    };
    for (const auto& p : policies) add(p, "");
    for (const auto& c : classes) for (const auto& p : policies) add(p, c);
    return out;
}

json summary_to_json(const Summary& s) {
    return {{"policy", s.policy}, {"class", s.task_class.empty() ? json(nullptr) : json(s.task_class)}, {"n", s.n},
            {"errors", s.errors}, {"quality", s.quality},
            {"quality_fraction_of_reference", s.quality_fraction < 0 ? json(nullptr) : json(s.quality_fraction)},
            {"large_share", s.large_share}, {"tier_share", s.tier_share}, {"total_cost", s.total_cost},
            {"cost_per_request", s.cost_per_request}, {"latency_p50_ms", s.p50_ms}, {"latency_p95_ms", s.p95_ms}};
}

}  // namespace switchyard::eval
