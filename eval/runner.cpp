#include "eval/runner.h"

#include "eval/checkers.h"
#include "router/standalone_router.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace switchyard::eval {

using router::RouteOutcome;

PolicySpec parse_policy(const std::string& arg) {
    PolicySpec p;
    const auto eq = arg.find('=');
    p.label = eq == std::string::npos ? arg : arg.substr(0, eq);
    p.target = eq == std::string::npos ? arg : arg.substr(eq + 1);
    if (p.label.empty() || p.target.empty()) throw std::invalid_argument("--policy wants LABEL=ROUTE_OR_MODEL, got '" + arg + "'");
    return p;
}

namespace {

// What a model answers with: its file and sampling defaults, so that two entries serving one
// file with different decoding (or an edited config) never share cached answers.
std::string model_identity(const Config& cfg, const TierSpec& t) {
    if (t.provider != "local") {
        const auto* p = cfg.find_provider(t.provider);
        return t.provider + "/" + t.model + (p ? "@" + p->base_url : "");
    }
    const ModelSpec* m = cfg.find_model(t.model);
    if (!m) return "local/" + t.model;
    const auto& s = m->sampling;
    char buf[160];
    std::snprintf(buf, sizeof buf, "|t=%g,p=%g,k=%d,minp=%g,rep=%g,max=%d,ctx=%d", s.temperature, s.top_p, s.top_k, s.min_p,
                  s.repeat_penalty, s.max_tokens, m->context_size);
    return m->name + "@" + m->file.filename().string() + buf;
}

void resolve_one(Config& cfg, PolicySpec& p, const std::string& prefix) {
    if (const RouteSpec* r = cfg.find_route(p.target)) {
        p.route = r->name;
        p.identity = "route:" + r->name;
        for (const auto& t : r->tiers) p.identity += "|" + t.name + "=" + model_identity(cfg, t);
        if (r->cascade.enabled) p.identity += "|cascade:" + std::to_string(r->cascade.min_mean_logprob) + "," + std::to_string(r->cascade.max_escalations);
        if (r->classifier) p.identity += "|classifier:" + r->classifier->index.string();
        for (const auto& rule : r->rules) p.identity += "|rule:" + rule.name + ">" + rule.tier;
        return;
    }
    TierSpec tier;
    tier.name = p.label;
    if (const ModelSpec* m = cfg.find_model(p.target)) {
        if (m->kind != ModelKind::chat) throw std::runtime_error("'" + p.target + "' is an embedding model, not a chat model");
        tier.model = m->name;
    } else if (const auto slash = p.target.find('/'); slash != std::string::npos && cfg.find_provider(p.target.substr(0, slash))) {
        tier.provider = p.target.substr(0, slash);
        tier.model = p.target.substr(slash + 1);
    } else {
        throw std::runtime_error("'" + p.target + "' is neither a route, a model nor PROVIDER/MODEL in " + cfg.source.string());
    }
    RouteSpec route;
    route.name = prefix + p.label;
    route.tiers.push_back(tier);
    cfg.routes.push_back(route);
    p.route = route.name;
    p.identity = "model:" + model_identity(cfg, tier);
}

}  // namespace

void resolve_policies(Config& cfg, std::vector<PolicySpec>& policies, std::vector<PolicySpec>& judges) {
    for (auto& p : policies) resolve_one(cfg, p, "eval:");
    for (auto& j : judges) resolve_one(cfg, j, "eval-judge:");
}

// ---- host --------------------------------------------------------------------------------

struct EvalHost::Impl {
    router::StandaloneRouter host;
    explicit Impl(const Config& c) : host(c) {}
};

EvalHost::EvalHost(const Config& config) : impl_(std::make_unique<Impl>(config)) {}

EvalHost::~EvalHost() = default;

RouteOutcome EvalHost::chat(const json& request) { return impl_->host.run(request); }

// ---- the run ----------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

json outcome_to_cache(const RouteOutcome& out, double latency_ms) {
    double lp = 0;
    for (float x : out.result.token_logprobs) lp += x;
    json j = {{"ok", out.ok}, {"answer", out.result.content}, {"tier", out.tier}, {"model", out.model}, {"cost", out.cost},
              {"latency_ms", latency_ms}, {"prompt_tokens", out.result.prompt_tokens},
              {"completion_tokens", out.result.completion_tokens}, {"escalations", out.escalations}};
    if (!out.ok) j["error"] = out.error.empty() ? "status " + std::to_string(out.status) : out.error;
    if (!out.result.token_logprobs.empty()) j["mean_logprob"] = lp / out.result.token_logprobs.size();
    return j;
}

class Progress {
public:
    Progress(int total, bool enabled) : total_(total), enabled_(enabled && isatty(STDERR_FILENO)), t0_(Clock::now()) {}
    void tick(bool cached, bool failed) {
        std::lock_guard lock(mu_);
        ++done_;
        cached_ += cached;
        errors_ += failed;
        if (!enabled_) return;
        const double s = std::chrono::duration<double>(Clock::now() - t0_).count();
        const int width = 30, filled = total_ ? width * done_ / total_ : width;
        std::fprintf(stderr, "\r[%.*s%*s] %d/%d  %d cached  %d errors  %.0fs ", filled, "##############################",
                     width - filled, "", done_, total_, cached_, errors_, s);
        if (done_ == total_) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }

private:
    std::mutex mu_;
    int total_, done_ = 0, cached_ = 0, errors_ = 0;
    bool enabled_;
    Clock::time_point t0_;
};

}  // namespace

std::vector<Record> run_eval(EvalHost& host, const std::vector<EvalCase>& cases, const std::vector<PolicySpec>& policies,
                             const std::vector<PolicySpec>& judges, const RunOptions& o, ResultCache* cache, RunStats& stats) {
    // Jobs interleave policies case by case, so a partial run still compares policies on the same cases.
    const int total = static_cast<int>(cases.size() * policies.size());
    std::vector<Record> records(total);
    std::atomic<int> next{0}, calls{0}, cached{0}, errors{0}, judge_calls{0};
    Progress bar(total, o.progress);
    const auto t0 = Clock::now();

    // One cached or live call; returns the cache entry.
    auto call = [&](const std::string& identity, json& body, bool& was_cached) {
        const std::string key = ResultCache::key(identity, body);
        if (cache) {
            if (auto hit = cache->get(key)) { was_cached = true; return *hit; }
        }
        was_cached = false;
        const auto start = Clock::now();
        RouteOutcome out = host.chat(body);
        json entry = outcome_to_cache(out, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (cache && out.ok) cache->put(key, entry);  // failures are retried on the next run
        return entry;
    };

    auto worker = [&] {
        for (int i; (i = next++) < total;) {
            const EvalCase& c = cases[i / policies.size()];
            const PolicySpec& p = policies[i % policies.size()];
            json body = c.request;
            body["model"] = p.route;
            body["messages"] = c.messages;
            body["stream"] = false;
            body["logprobs"] = true;  // the mean token logprob is the cascade's score in the sweep
            if (!body.contains("seed")) body["seed"] = o.seed;
            if (o.max_tokens > 0) body["max_tokens"] = o.max_tokens;
            Record& r = records[i];
            r.case_id = c.id;
            r.task_class = c.task_class;
            r.policy = p.label;
            bool hit = false;
            json e;
            try {
                e = call(p.identity, body, hit);
            } catch (const std::exception& ex) {
                e = {{"ok", false}, {"error", ex.what()}};
            }
            r.cached = hit;
            r.ok = e.value("ok", false);
            r.error = e.value("error", "");
            r.answer = e.value("answer", "");
            r.tier = e.value("tier", "");
            r.model = e.value("model", "");
            r.cost = e.value("cost", 0.0);
            r.latency_ms = e.value("latency_ms", 0.0);
            r.prompt_tokens = e.value("prompt_tokens", 0);
            r.completion_tokens = e.value("completion_tokens", 0);
            r.escalations = e.value("escalations", 0);
            r.has_logprob = e.contains("mean_logprob");
            r.mean_logprob = e.value("mean_logprob", 0.0);
            if (auto pr = o.prices.find(r.model); pr != o.prices.end() && r.ok)
                r.cost += (r.prompt_tokens * pr->second.first + r.completion_tokens * pr->second.second) / 1e6;
            hit ? ++cached : ++calls;
            if (!r.ok) {
                ++errors;
                r.detail = "request failed";
            } else if (c.reference.checker != "judge") {
                auto cr = check(c.reference, r.answer);
                r.score = cr.score;
                r.detail = cr.detail;
            } else {
                const PolicySpec* judge = nullptr;
                for (const auto& j : judges) if (j.target == c.reference.judge_model) judge = &j;
                json jb = judge_request(c, r.answer);
                jb["model"] = judge->route;
                bool jhit = false;
                json je;
                try { je = call(judge->identity, jb, jhit); } catch (const std::exception& ex) { je = {{"ok", false}, {"error", ex.what()}}; }
                if (!jhit) ++judge_calls;
                auto verdict = je.value("ok", false) ? parse_verdict(je.value("answer", "")) : std::nullopt;
                r.score = verdict.value_or(0);
                r.detail = verdict ? "judge: " + je.value("answer", "") : "judge gave no verdict";
            }
            bar.tick(hit, !r.ok);
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(1, o.concurrency); ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    stats.calls = calls;
    stats.cached = cached;
    stats.errors = errors;
    stats.judge_calls = judge_calls;
    stats.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return records;
}

}  // namespace switchyard::eval
