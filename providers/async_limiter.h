// Caps how many requests one provider has in flight (upstreams rate-limit or overload; a local
// llama-server has a fixed number of slots). Waiters suspend their coroutine instead of blocking
// an io thread, wake in FIFO order, and give up at their deadline.
//
// Thread-safe: io threads share a provider. A slot is handed from release() to the oldest waiter
// through a concurrent_channel (the only Asio wake-up primitive that is safe to signal from any
// thread, and that keeps the signal if the waiter has not started waiting yet).
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>

namespace switchyard::providers {

namespace asio = boost::asio;

class AsyncLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit AsyncLimiter(int max_in_flight);

    // Takes a slot, waiting for one if all are taken. False when the deadline passed first (the
    // caller then owns nothing). True: the caller owns a slot and must release() it.
    asio::awaitable<bool> acquire(Clock::time_point deadline);
    void release();

    int in_flight() const;
    int waiting() const;

    // Owns a slot for a scope: release on every exit path of a coroutine, exceptions included.
    class Slot {
    public:
        explicit Slot(AsyncLimiter* owner = nullptr) : owner_(owner) {}
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { if (owner_) owner_->release(); }
    private:
        AsyncLimiter* owner_;
    };

private:
    struct Waiter;
    // Shared with expiry handlers, which can run after the limiter is gone.
    struct State {
        std::mutex mu;
        int max = 1;
        int in_flight = 0;
        std::deque<std::shared_ptr<Waiter>> queue;
    };
    std::shared_ptr<State> st_;
};

}  // namespace switchyard::providers
