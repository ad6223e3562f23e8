// Feedback-driven tier bumps. Each rated request of a route with `feedback:` configured adds
// one rating to a sliding window per (route, task class, tier that answered). When the window
// holds at least min_ratings and its down-rate passes max_down_rate, that class starts one tier
// above the failing tier from then on. A bump is logged (access log and SQLite), shown in
// explain traces, survives restarts (replayed from the log) and is undone by reset().
#pragma once

#include "config/routing_config.h"

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace switchyard::router {

struct TierBump {
    std::string route, task_class;
    std::string from_tier, to_tier;
    std::size_t to_index = 0;      // index of to_tier in the route's tiers
    double down_rate = 0;          // over the window that triggered it
    int ratings = 0;
    double ts = 0;                 // unix seconds
};

class TierBumps {
public:
    // Adds a rating; returns the bump it triggered, if any (none when the failing tier is the
    // route's last, or a bump at least as high is already active). With a shared store the
    // window comes from it (all replicas' ratings, this one included) instead of memory.
    std::optional<TierBump> rate(const RouteSpec& route, const std::string& task_class,
                                 const std::string& tier, bool down, double now,
                                 const std::vector<bool>* shared_window = nullptr);
    // The active bump for a class on a route, if any.
    std::optional<TierBump> active(const std::string& route, const std::string& task_class) const;
    std::vector<TierBump> list() const;
    // Removes bumps (and their rating windows, so they do not re-trigger at once); an empty
    // route or class matches all. Returns how many bumps were removed.
    int reset(const std::string& route, const std::string& task_class);
    void restore(const TierBump& bump);  // replay from the log at start-up
    // Makes the active bumps exactly `bumps` (a shared store's list: other replicas' bumps
    // and resets show up here).
    void replace_all(const std::vector<TierBump>& bumps);

private:
    mutable std::mutex mu_;
    std::map<std::tuple<std::string, std::string, std::string>, std::deque<bool>> windows_;
    std::map<std::pair<std::string, std::string>, TierBump> bumps_;
};

}  // namespace switchyard::router
