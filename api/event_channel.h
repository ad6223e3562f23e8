// Hands generation events from the scheduler thread to a connection's coroutine without blocking
// either: the producer queues and pokes a timer on the connection's executor; the consumer
// drains the queue or sleeps on that timer. The engine always ends with a done/error event, so
// a waiting consumer is always woken.
#pragma once

#include "engine/generation.h"

#include <boost/asio.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace switchyard::api {

class EventChannel : public std::enable_shared_from_this<EventChannel> {
public:
    explicit EventChannel(boost::asio::any_io_executor ex) : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

    // Producer side: any thread.
    void push(GenerationEvent&& ev) {
        {
            std::lock_guard lock(mu_);
            queue_.push_back(std::move(ev));
        }
        boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
    }

    // Consumer side: the connection's coroutine. Returns at least one event.
    boost::asio::awaitable<std::vector<GenerationEvent>> next() {
        for (;;) {
            {
                std::lock_guard lock(mu_);
                if (!queue_.empty()) {
                    std::vector<GenerationEvent> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
                    queue_.clear();
                    co_return out;
                }
            }
            boost::system::error_code ec;
            timer_.expires_at(boost::asio::steady_timer::time_point::max());
            co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

    EventSink sink() {
        return [self = shared_from_this()](GenerationEvent&& ev) { self->push(std::move(ev)); };
    }

private:
    std::mutex mu_;
    std::deque<GenerationEvent> queue_;
    boost::asio::steady_timer timer_;
};

}  // namespace switchyard::api
