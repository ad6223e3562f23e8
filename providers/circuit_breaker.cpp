#include "providers/circuit_breaker.h"

#include <algorithm>

namespace switchyard::providers {

CircuitBreaker::CircuitBreaker(int failure_threshold, std::chrono::milliseconds cooldown, Now now)
    : threshold_(failure_threshold), cooldown_(cooldown), now_(std::move(now)) {}

// Open -> half-open is time-driven, so it is computed on read rather than by a timer: no timer
// to cancel at shutdown, and a test clock moves the breaker simply by moving time.
CircuitBreaker::State CircuitBreaker::state_locked() const {
    if (state_ == State::open && now_() - opened_at_ >= cooldown_) return State::half_open;
    return state_;
}

bool CircuitBreaker::allow() {
    std::lock_guard lock(mu_);
    State s = state_locked();
    if (s == State::closed) return true;
    if (s == State::open) return false;
    if (state_ == State::open) {  // cooldown just elapsed: materialise half-open
        state_ = State::half_open;
        trial_in_flight_ = false;
    }
    if (trial_in_flight_) return false;
    trial_in_flight_ = true;
    return true;
}

void CircuitBreaker::record_success() {
    std::lock_guard lock(mu_);
    // Any success proves the upstream answers again, even one started before the breaker opened.
    state_ = State::closed;
    failures_ = 0;
    trial_in_flight_ = false;
}

void CircuitBreaker::record_failure() {
    std::lock_guard lock(mu_);
    ++failures_;
    if (threshold_ <= 0) return;
    if (state_ == State::half_open) {
        // The trial failed: back to open for a full cooldown.
        state_ = State::open;
        opened_at_ = now_();
        trial_in_flight_ = false;
    } else if (state_ == State::closed && failures_ >= threshold_) {
        state_ = State::open;
        opened_at_ = now_();
    }
    // Already open: late failures of requests sent before it opened do not extend the cooldown.
}

void CircuitBreaker::record_abandoned() {
    std::lock_guard lock(mu_);
    if (state_ == State::half_open) trial_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
    std::lock_guard lock(mu_);
    return state_locked();
}

bool CircuitBreaker::available() const {
    std::lock_guard lock(mu_);
    switch (state_locked()) {
        case State::closed: return true;
        case State::open: return false;
        // A breaker that just left open has no trial in flight yet, whatever the stale flag says.
        case State::half_open: return state_ == State::open || !trial_in_flight_;
    }
    return true;
}

int CircuitBreaker::consecutive_failures() const {
    std::lock_guard lock(mu_);
    return failures_;
}

std::chrono::milliseconds CircuitBreaker::retry_in() const {
    std::lock_guard lock(mu_);
    if (state_locked() != State::open) return std::chrono::milliseconds(0);
    auto left = cooldown_ - std::chrono::duration_cast<std::chrono::milliseconds>(now_() - opened_at_);
    return std::max(left, std::chrono::milliseconds(0));
}

const char* to_string(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::closed: return "closed";
        case CircuitBreaker::State::open: return "open";
        case CircuitBreaker::State::half_open: return "half-open";
    }
    return "?";
}

}  // namespace switchyard::providers
