// Aggregates of the request log for the dashboard: per route and tier (requests, tokens, cost,
// feedback up/down) and per model (latency and time-to-first-token samples) over a time window.
// Reads through a read-only connection of its own (SQLite WAL lets it run beside the writer), so
// it never waits on RequestLog's locks. Pricing and percentiles are left to the caller.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace switchyard {

struct TierUsage {
    std::string route, tier, model;
    long long requests = 0, errors = 0;
    long long prompt_tokens = 0, completion_tokens = 0;
    double cost = 0;
    long long up = 0, down = 0;          // feedback ratings of these requests
};

struct ModelTimings {
    std::string model;
    long long requests = 0;
    std::vector<double> latency_ms;      // successful requests, ascending
    std::vector<double> ttft_ms;         // streamed ones, ascending
    long long completion_tokens = 0;
    double generation_s = 0;             // latency minus ttft over streamed requests (for tokens/s)
};

struct LogStats {
    double since = 0;
    long long requests = 0, errors = 0;
    double cost = 0;
    std::vector<TierUsage> tiers;        // one row per (route, tier, model); route "" = direct model calls
    std::vector<ModelTimings> models;
};

// Throws std::runtime_error when the file cannot be read. At most `max_samples` latency samples
// per model (the most recent).
LogStats read_log_stats(const std::filesystem::path& log_file, double since, int max_samples = 20000);

}  // namespace switchyard
