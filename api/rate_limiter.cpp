#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace switchyard::api {

namespace {
constexpr double kWindow = 60.0;
int seconds_until(double t, double now) { return std::max(1, static_cast<int>(std::ceil(t - now))); }
}  // namespace

void RateLimiter::prune(Window& w, double now) {
    while (!w.requests.empty() && w.requests.front() <= now - kWindow) w.requests.pop_front();
    while (!w.tokens.empty() && w.tokens.front().first <= now - kWindow) {
        w.token_sum -= w.tokens.front().second;
        w.tokens.pop_front();
    }
}

int RateLimiter::admit(const std::string& caller, const Limits& limits, double now) {
    if (limits.requests_per_minute <= 0 && limits.tokens_per_minute <= 0) return 0;
    std::lock_guard lock(mu_);
    Window& w = windows_[caller];
    prune(w, now);
    if (limits.requests_per_minute > 0 && static_cast<int>(w.requests.size()) >= limits.requests_per_minute)
        return seconds_until(w.requests[w.requests.size() - limits.requests_per_minute] + kWindow, now);
    if (limits.tokens_per_minute > 0 && w.token_sum >= limits.tokens_per_minute) {
        // Wait until enough of the window's tokens expire to bring the sum under the limit.
        long long sum = w.token_sum;
        for (const auto& [t, n] : w.tokens) {
            sum -= n;
            if (sum < limits.tokens_per_minute) return seconds_until(t + kWindow, now);
        }
    }
    w.requests.push_back(now);
    return 0;
}

void RateLimiter::add_tokens(const std::string& caller, long long tokens, double now) {
    if (tokens <= 0) return;
    std::lock_guard lock(mu_);
    Window& w = windows_[caller];
    prune(w, now);
    w.tokens.emplace_back(now, tokens);
    w.token_sum += tokens;
}

}  // namespace switchyard::api
