#include "api/event_bus.h"

#include <algorithm>
#include <utility>

namespace switchyard::api {

boost::asio::awaitable<std::vector<nlohmann::json>> EventBus::Subscription::next(std::chrono::milliseconds timeout) {
    auto take = [this] {
        std::lock_guard lock(mu_);
        std::vector<nlohmann::json> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
        queue_.clear();
        return out;
    };
    auto events = take();
    if (!events.empty() || closed()) co_return events;
    boost::system::error_code ec;
    timer_.expires_after(timeout);
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return take();
}

void EventBus::Subscription::wake() {
    // The timer is touched only on the subscriber's strand.
    boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

void EventBus::Subscription::close() {
    {
        std::lock_guard lock(mu_);
        closed_ = true;
    }
    wake();
}

bool EventBus::Subscription::closed() {
    std::lock_guard lock(mu_);
    return closed_;
}

std::size_t EventBus::Subscription::take_dropped() {
    std::lock_guard lock(mu_);
    return std::exchange(dropped_, 0);
}

void EventBus::Subscription::offer(const nlohmann::json& event) {
    {
        std::lock_guard lock(mu_);
        if (closed_) return;
        if (queue_.size() >= kMaxQueued) { ++dropped_; return; }
        queue_.push_back(event);
    }
    wake();
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe(boost::asio::any_io_executor ex) {
    auto sub = std::make_shared<Subscription>(std::move(ex));
    std::lock_guard lock(mu_);
    subs_.push_back(sub);
    return sub;
}

void EventBus::publish(const nlohmann::json& event) {
    std::vector<std::shared_ptr<Subscription>> live;
    {
        std::lock_guard lock(mu_);
        std::erase_if(subs_, [](const auto& w) { return w.expired(); });
        for (const auto& w : subs_)
            if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->offer(event);
}

void EventBus::close_all() {
    std::vector<std::shared_ptr<Subscription>> live;
    {
        std::lock_guard lock(mu_);
        for (const auto& w : subs_)
            if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->close();
}

std::size_t EventBus::subscribers() {
    std::lock_guard lock(mu_);
    std::erase_if(subs_, [](const auto& w) { return w.expired(); });
    return subs_.size();
}

}  // namespace switchyard::api
