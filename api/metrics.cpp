#include "api/metrics.h"

#include <cstdio>

namespace switchyard::api {

namespace {
std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}
}  // namespace

void Histogram::observe(double s) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) if (s <= kBuckets[i]) ++counts_[i];
    ++total_;
    sum_ += s;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        out += name + "_bucket{" + labels + sep + "le=\"" + num(kBuckets[i]) + "\"} " + std::to_string(counts_[i]) + "\n";
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(total_) + "\n";
    out += name + "_sum{" + labels + "} " + num(sum_) + "\n";
    out += name + "_count{" + labels + "} " + std::to_string(total_) + "\n";
}

void Metrics::request_done(const std::string& route, int status, double latency_s) {
    std::lock_guard lock(mu_);
    ++requests_[{route, status}];
    latency_[route].observe(latency_s);
}

void Metrics::tokens(const std::string& model, int prompt, int completion) {
    std::lock_guard lock(mu_);
    auto& t = tokens_[model];
    t.first += prompt;
    t.second += completion;
}

void Metrics::first_token(const std::string& model, double ttft_s) {
    std::lock_guard lock(mu_);
    ttft_[model].observe(ttft_s);
}

void Metrics::cache(const std::string& result) {
    std::lock_guard lock(mu_);
    ++cache_[result];
}

std::string Metrics::render(const ModelPool& pool) const {
    std::string out;
    {
        std::lock_guard lock(mu_);
        out += "# HELP switchyard_requests_total HTTP requests by route and status.\n# TYPE switchyard_requests_total counter\n";
        for (const auto& [k, v] : requests_)
            out += "switchyard_requests_total{route=\"" + k.first + "\",status=\"" + std::to_string(k.second) + "\"} " + std::to_string(v) + "\n";
        out += "# HELP switchyard_prompt_tokens_total Prompt tokens processed.\n# TYPE switchyard_prompt_tokens_total counter\n";
        for (const auto& [m, t] : tokens_) out += "switchyard_prompt_tokens_total{model=\"" + m + "\"} " + std::to_string(t.first) + "\n";
        out += "# HELP switchyard_completion_tokens_total Tokens generated.\n# TYPE switchyard_completion_tokens_total counter\n";
        for (const auto& [m, t] : tokens_) out += "switchyard_completion_tokens_total{model=\"" + m + "\"} " + std::to_string(t.second) + "\n";
        out += "# HELP switchyard_time_to_first_token_seconds Time from request to first generated token.\n# TYPE switchyard_time_to_first_token_seconds histogram\n";
        for (const auto& [m, h] : ttft_) h.render(out, "switchyard_time_to_first_token_seconds", "model=\"" + m + "\"");
        out += "# HELP switchyard_request_duration_seconds Request latency by route.\n# TYPE switchyard_request_duration_seconds histogram\n";
        for (const auto& [r, h] : latency_) h.render(out, "switchyard_request_duration_seconds", "route=\"" + r + "\"");
        out += "# HELP switchyard_cache_requests_total Routed requests by response-cache result.\n# TYPE switchyard_cache_requests_total counter\n";
        for (const auto& [r, n] : cache_) out += "switchyard_cache_requests_total{result=\"" + r + "\"} " + std::to_string(n) + "\n";
    }
    auto models = pool.status();
    out += "# HELP switchyard_model_loaded Whether a model is in memory.\n# TYPE switchyard_model_loaded gauge\n";
    for (const auto& m : models) out += "switchyard_model_loaded{model=\"" + m.name + "\"} " + (m.loaded ? "1" : "0") + "\n";
    out += "# HELP switchyard_model_memory_bytes Weights plus KV cache of a loaded model (estimate).\n# TYPE switchyard_model_memory_bytes gauge\n";
    for (const auto& m : models) out += "switchyard_model_memory_bytes{model=\"" + m.name + "\"} " + std::to_string(m.memory_bytes) + "\n";
    out += "# HELP switchyard_queue_depth Requests waiting for a free sequence.\n# TYPE switchyard_queue_depth gauge\n";
    for (const auto& m : models) out += "switchyard_queue_depth{model=\"" + m.name + "\"} " + std::to_string(m.queued) + "\n";
    out += "# HELP switchyard_active_sequences Sequences generating now.\n# TYPE switchyard_active_sequences gauge\n";
    for (const auto& m : models) out += "switchyard_active_sequences{model=\"" + m.name + "\"} " + std::to_string(m.active) + "\n";
    return out;
}

}  // namespace switchyard::api
