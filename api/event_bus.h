// The server's live event feed: every finished request (from RequestRecord) is published here as
// a small JSON summary, and each dashboard connection (GET /ui/api/events, SSE) subscribes.
// Publishing never blocks a request: a subscriber whose client reads too slowly has events
// dropped (and is told how many) rather than growing without bound.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <deque>

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace switchyard::api {

class EventBus {
public:
    // Events queued per subscriber before newer ones are dropped.
    static constexpr std::size_t kMaxQueued = 1000;

    class Subscription : public std::enable_shared_from_this<Subscription> {
    public:
        explicit Subscription(boost::asio::any_io_executor ex) : timer_(ex) {}
        // Waits up to `timeout` for events (on the subscriber's strand, which must be a strand);
        // returns none on timeout or after close(), so the caller can send a heartbeat or stop.
        boost::asio::awaitable<std::vector<nlohmann::json>> next(std::chrono::milliseconds timeout);
        // Wakes a waiting next() for good (the client left). Any thread.
        void close();
        bool closed();
        // Events dropped since the last call (the client is shown a gap).
        std::size_t take_dropped();

    private:
        friend class EventBus;
        void offer(const nlohmann::json& event);
        void wake();
        boost::asio::steady_timer timer_;
        std::mutex mu_;
        std::deque<nlohmann::json> queue_;
        bool closed_ = false;
        std::size_t dropped_ = 0;
    };

    // The subscription ends when the returned pointer is released.
    std::shared_ptr<Subscription> subscribe(boost::asio::any_io_executor ex);
    // Any thread.
    void publish(const nlohmann::json& event);
    std::size_t subscribers();
    // Ends every subscription (the server is shutting down).
    void close_all();

private:
    std::mutex mu_;
    std::vector<std::weak_ptr<Subscription>> subs_;
};

}  // namespace switchyard::api
