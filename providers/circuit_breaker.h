// Circuit breaker for one remote provider: after a run of consecutive failures the router stops
// sending traffic to it for a cooldown, instead of making every request pay for a dead upstream
// (connect timeouts, 5xx) before failing over. Pure logic with an injectable clock, so the state
// machine is tested without sleeping; thread-safe because io threads share providers.
//
//   closed --(threshold consecutive failures)--> open --(cooldown elapsed)--> half-open
//   half-open --(the one trial request succeeds)--> closed
//   half-open --(the trial fails)--> open (cooldown starts again)
//
// What counts as a failure is the caller's decision (RemoteProvider: connect errors, timeouts,
// 5xx and broken streams; a 4xx proves the upstream is up, so it counts as a success).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

namespace switchyard::providers {

class CircuitBreaker {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;
    enum class State { closed, open, half_open };

    // failure_threshold <= 0 disables the breaker (it never opens).
    CircuitBreaker(int failure_threshold, std::chrono::milliseconds cooldown, Now now = &Clock::now);

    // Asks to send one request. Closed: always yes. Open: no, unless the cooldown has elapsed, in
    // which case the breaker turns half-open and this caller gets the single trial. Half-open: yes
    // only if no trial is in flight. Every granted request must end in exactly one of
    // record_success / record_failure / record_abandoned.
    bool allow();
    void record_success();
    void record_failure();
    // The request ended without telling anything about the upstream (e.g. our client went away):
    // frees the half-open trial slot so the next request can try.
    void record_abandoned();

    // Current state; open turns into half-open here as soon as the cooldown has elapsed.
    State state() const;
    // Would allow() say yes right now? False while open, and while a half-open trial is in flight.
    bool available() const;
    int consecutive_failures() const;
    // Time left until an open breaker lets a trial through (zero when not open).
    std::chrono::milliseconds retry_in() const;

private:
    State state_locked() const;

    const int threshold_;
    const std::chrono::milliseconds cooldown_;
    const Now now_;
    mutable std::mutex mu_;
    State state_ = State::closed;
    int failures_ = 0;
    bool trial_in_flight_ = false;
    Clock::time_point opened_at_{};
};

const char* to_string(CircuitBreaker::State s);

}  // namespace switchyard::providers
