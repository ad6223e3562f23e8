// Hands items from a worker thread (the scheduler, a pipeline run) to a connection's coroutine
// without blocking either: the producer queues and pokes a timer on the connection's executor;
// the consumer drains the queue or sleeps on that timer. Producers always end with a final item
// (a done/error event, a pipeline result), so a waiting consumer is always woken.
// The consumer's executor must be a strand (or a single thread): the wake-up is posted there, and
// on a multi-threaded executor it could run between the consumer's empty check and its wait.
#pragma once

#include "engine/generation.h"

#include <boost/asio.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace switchyard::wire {

template <class T>
class AsyncQueue : public std::enable_shared_from_this<AsyncQueue<T>> {
public:
    explicit AsyncQueue(boost::asio::any_io_executor ex) : timer_(ex, boost::asio::steady_timer::time_point::max()) {}

    // Producer side: any thread.
    void push(T&& item) {
        {
            std::lock_guard lock(mu_);
            queue_.push_back(std::move(item));
        }
        boost::asio::post(timer_.get_executor(), [self = this->shared_from_this()] { self->timer_.cancel(); });
    }

    // Consumer side: the connection's coroutine. Returns at least one item.
    boost::asio::awaitable<std::vector<T>> next() {
        for (;;) {
            {
                std::lock_guard lock(mu_);
                if (!queue_.empty()) {
                    std::vector<T> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
                    queue_.clear();
                    co_return out;
                }
            }
            boost::system::error_code ec;
            timer_.expires_at(boost::asio::steady_timer::time_point::max());
            co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

private:
    std::mutex mu_;
    std::deque<T> queue_;
    boost::asio::steady_timer timer_;
};

// Generation events of one request, fed by the model's scheduler thread.
class EventChannel : public AsyncQueue<GenerationEvent> {
public:
    using AsyncQueue<GenerationEvent>::AsyncQueue;
    EventSink sink() {
        auto self = std::static_pointer_cast<EventChannel>(shared_from_this());
        return [self](GenerationEvent&& ev) { self->push(std::move(ev)); };
    }
};

}  // namespace switchyard::wire
