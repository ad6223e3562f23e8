// Budgets: what a tier is expected to cost before it is called, and how much each API key has
// spent in its current period. Local tiers are free; only priced (remote) tiers count.
#pragma once

#include "config/config.h"
#include "providers/provider.h"
#include "store/store.h"

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
//
// Across replicas (a shared store): each call's cost also goes to the store's counter (queued,
// never waited for), and sync() every store.sync_interval_ms replaces this replica's view of
// the others' spend with the counter's total. What one replica has not yet seen of another's
// spend is bounded by what the others spend in one sync interval plus one writer batch (~200 ms);
// a limit can be overshot by that much, plus, as on one replica, the calls already admitted
// when the limit is reached (docs: README "Scaling past one machine").
class SpendLedger {
public:
    static double period_start(ApiKeySpec::Period period, double now);  // unix seconds
    void seed(const std::string& key, double period_start, double amount);
    double spent(const ApiKeySpec& key, double now);
    void add(const ApiKeySpec& key, double cost, double now);
    // Costs from now on also go to `store`'s shared counter (null: local only).
    void share(Store* store) { store_ = store; }
    // Learns the keys' totals from the shared store (flushing this replica's own spend first).
    // Blocking; throws std::runtime_error when the store is unavailable (the view stays as it was).
    void sync(const std::vector<ApiKeySpec>& keys, double now);

private:
    // spent = base + amount: `amount` is what this replica added since `start`, `base` what the
    // store knew besides (the seed, or the shared total minus this replica's part at the last sync).
    struct Entry { double start = 0; double amount = 0; double base = 0; };
    Entry& current(const ApiKeySpec& key, double now);  // mu_ held
    std::mutex mu_;
    std::map<std::string, Entry> entries_;
    Store* store_ = nullptr;
};

}  // namespace switchyard::router
