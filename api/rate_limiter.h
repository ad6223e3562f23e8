// Per-caller rate limits over a sliding minute: requests admitted, and tokens (prompt +
// completion) used by finished requests. Refusals say how long to wait (Retry-After).
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace switchyard::api {

class RateLimiter {
public:
    struct Limits {
        int requests_per_minute = 0;     // 0 = no limit
        long long tokens_per_minute = 0; // 0 = no limit
    };
    // Admits one request from `caller` at time `now` (seconds). Returns 0 when admitted, else the
    // whole seconds to wait before a request can be admitted (nothing is counted then).
    int admit(const std::string& caller, const Limits& limits, double now);
    // Counts tokens a finished request used.
    void add_tokens(const std::string& caller, long long tokens, double now);

private:
    struct Window {
        std::deque<double> requests;
        std::deque<std::pair<double, long long>> tokens;
        long long token_sum = 0;
    };
    void prune(Window& w, double now);
    std::mutex mu_;
    std::map<std::string, Window> windows_;
};

}  // namespace switchyard::api
