#include "router/budget.h"

#include <ctime>

namespace switchyard::router {

double estimate_cost(const nlohmann::json& request, std::size_t prompt_chars, const providers::Provider& p) {
    if (p.price_input() <= 0 && p.price_output() <= 0) return 0;
    int completion = kAssumedCompletionTokens;
    for (const char* key : {"max_completion_tokens", "max_tokens"})
        if (request.contains(key) && request[key].is_number_integer()) completion = request[key].get<int>();
    double prompt_tokens = static_cast<double>(prompt_chars) / 3.0 + 8;  // + role/template overhead
    return (prompt_tokens * p.price_input() + completion * p.price_output()) / 1e6;
}

double SpendLedger::period_start(ApiKeySpec::Period period, double now) {
    if (period == ApiKeySpec::Period::total) return 0;
    std::time_t t = static_cast<std::time_t>(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (period == ApiKeySpec::Period::month) tm.tm_mday = 1;
    return static_cast<double>(timegm(&tm));
}

void SpendLedger::seed(const std::string& key, double start, double amount) {
    std::lock_guard lock(mu_);
    entries_[key] = Entry{start, 0, amount};
}

SpendLedger::Entry& SpendLedger::current(const ApiKeySpec& key, double now) {
    double start = period_start(key.period, now);
    Entry& e = entries_[key.name];
    if (e.start != start) e = Entry{start, 0, 0};  // a new day or month starts from zero
    return e;
}

double SpendLedger::spent(const ApiKeySpec& key, double now) {
    std::lock_guard lock(mu_);
    const Entry& e = current(key, now);
    return e.base + e.amount;
}

void SpendLedger::add(const ApiKeySpec& key, double cost, double now) {
    if (cost <= 0) return;
    std::lock_guard lock(mu_);
    current(key, now).amount += cost;
    // Queued under mu_, so whatever sync() counts as this replica's is in the store's queue.
    if (store_) store_->add_spend(key.name, now, cost);
}

void SpendLedger::sync(const std::vector<ApiKeySpec>& keys, double now) {
    if (!store_) return;
    std::vector<std::pair<double, double>> mine;  // (period start, local amount) per key
    {
        std::lock_guard lock(mu_);
        for (const auto& k : keys) {
            const Entry& e = current(k, now);
            mine.emplace_back(e.start, e.amount);
        }
    }
    store_->flush();  // everything counted in `mine` is now in the shared total
    std::vector<double> totals;
    for (std::size_t i = 0; i < keys.size(); ++i) totals.push_back(store_->spend_since(keys[i].name, mine[i].first));
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        Entry& e = entries_[keys[i].name];
        if (e.start == mine[i].first) e.base = totals[i] - mine[i].second;
    }
}

}  // namespace switchyard::router
