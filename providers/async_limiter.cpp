#include "providers/async_limiter.h"

#include <boost/asio/experimental/concurrent_channel.hpp>

#include <algorithm>

namespace switchyard::providers {

struct AsyncLimiter::Waiter {
    enum class Phase { waiting, granted, expired };
    explicit Waiter(const asio::any_io_executor& ex) : wake(ex, 1) {}
    // Capacity 1: a wake-up sent before the waiter suspends is kept, not lost.
    asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
    Phase phase = Phase::waiting;  // guarded by State::mu
};

AsyncLimiter::AsyncLimiter(int max_in_flight) : st_(std::make_shared<State>()) {
    st_->max = std::max(1, max_in_flight);
}

asio::awaitable<bool> AsyncLimiter::acquire(Clock::time_point deadline) {
    auto ex = co_await asio::this_coro::executor;
    std::shared_ptr<Waiter> w;
    {
        std::lock_guard lock(st_->mu);
        if (st_->in_flight < st_->max && st_->queue.empty()) {
            ++st_->in_flight;
        } else {
            w = std::make_shared<Waiter>(ex);
            st_->queue.push_back(w);
        }
    }
    if (!w) co_return true;

    // Expiry: whichever of release() and this handler takes the mutex first decides the outcome.
    asio::steady_timer timer(ex);
    timer.expires_at(deadline);
    std::weak_ptr<State> weak = st_;
    timer.async_wait([weak, w](boost::system::error_code ec) {
        if (ec) return;
        auto st = weak.lock();
        if (!st) return;
        {
            std::lock_guard lock(st->mu);
            if (w->phase != Waiter::Phase::waiting) return;
            w->phase = Waiter::Phase::expired;
            st->queue.erase(std::remove(st->queue.begin(), st->queue.end(), w), st->queue.end());
        }
        w->wake.try_send(boost::system::error_code{});
    });

    boost::system::error_code ec;
    co_await w->wake.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    std::lock_guard lock(st_->mu);
    co_return w->phase == Waiter::Phase::granted;
}

void AsyncLimiter::release() {
    std::shared_ptr<Waiter> next;
    {
        std::lock_guard lock(st_->mu);
        if (st_->queue.empty()) {
            --st_->in_flight;
            return;
        }
        // Hand the slot over directly (in_flight unchanged), so a newcomer cannot overtake the queue.
        next = st_->queue.front();
        st_->queue.pop_front();
        next->phase = Waiter::Phase::granted;
    }
    next->wake.try_send(boost::system::error_code{});
}

int AsyncLimiter::in_flight() const {
    std::lock_guard lock(st_->mu);
    return st_->in_flight;
}

int AsyncLimiter::waiting() const {
    std::lock_guard lock(st_->mu);
    return static_cast<int>(st_->queue.size());
}

}  // namespace switchyard::providers
