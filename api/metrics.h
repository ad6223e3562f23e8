// Prometheus metrics for the server: request counts by route and status, tokens in and out,
// time-to-first-token and latency histograms, plus model gauges read from the pool at scrape time.
#pragma once

#include "engine/model_pool.h"

#include <array>
#include <map>
#include <mutex>
#include <string>

namespace switchyard::api {

class Histogram {
public:
    static constexpr std::array<double, 14> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    void observe(double seconds);
    void render(std::string& out, const std::string& name, const std::string& labels) const;
private:
    std::array<unsigned long long, kBuckets.size()> counts_{};
    unsigned long long total_ = 0;
    double sum_ = 0;
};

class Metrics {
public:
    void request_done(const std::string& route, int status, double latency_s);
    void tokens(const std::string& model, int prompt, int completion);
    void first_token(const std::string& model, double ttft_s);
    void cache(const std::string& result);              // response cache: hit | miss | bypass | uncacheable
    std::string render(const ModelPool& pool) const;
private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, int>, unsigned long long> requests_;
    std::map<std::string, Histogram> latency_;          // by route
    std::map<std::string, Histogram> ttft_;             // by model
    std::map<std::string, std::pair<unsigned long long, unsigned long long>> tokens_;  // model -> (in, out)
    std::map<std::string, unsigned long long> cache_;   // result -> count
};

}  // namespace switchyard::api
