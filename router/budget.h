// Budgets: what a tier is expected to cost before it is called, and how much each API key has
// spent in its current period. Local tiers are free; only priced (remote) tiers count.
#pragma once

#include "config/config.h"
#include "providers/provider.h"

#include <map>
#include <mutex>
#include <string>

namespace switchyard::router {

// Completion tokens assumed when a request sets no max_tokens.
inline constexpr int kAssumedCompletionTokens = 512;

// Upper-leaning estimate in USD: prompt characters / 3 tokens (English averages ~4 characters
// per token, so this over-counts a little) plus max_tokens at the output price.
double estimate_cost(const nlohmann::json& request, std::size_t prompt_chars, const providers::Provider& p);

// Spend per key in its current period (UTC calendar day or month, or all time). Thread-safe.
// Seeded from the request log at start-up so a restart does not forget what was spent.
class SpendLedger {
public:
    static double period_start(ApiKeySpec::Period period, double now);  // unix seconds
    void seed(const std::string& key, double period_start, double amount);
    double spent(const ApiKeySpec& key, double now);
    void add(const ApiKeySpec& key, double cost, double now);

private:
    struct Entry { double start = 0; double amount = 0; };
    Entry& current(const ApiKeySpec& key, double now);  // mu_ held
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
};

}  // namespace switchyard::router
