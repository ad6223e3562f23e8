// The OpenAI-compatible server: an HttpServer with Switchyard's routes over a ModelPool, and
// graceful shutdown on SIGINT/SIGTERM (stop accepting, let in-flight requests finish for
// server.shutdown_grace, then cut remaining generations short with a clean end of stream).
#pragma once

#include "api/event_bus.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/server_context.h"
#include "config/config.h"
#include "engine/model_pool.h"
#include "router/router.h"
#include "store/response_store.h"

#include <iostream>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace switchyard::api {

class Server {
public:
    explicit Server(Config config, std::ostream* access_log = &std::cout);
    ~Server();
    // Binds the port (0 = any free port) and returns it.
    int listen();
    // Serves until a signal (or shutdown()) has drained everything. Blocks.
    void run();
    // Starts the graceful shutdown from any thread.
    void shutdown();
    ModelPool& pool() { return pool_; }

private:
    void begin_drain();
    void restore_router_state();
    std::vector<router::TierBump> active_bumps();  // the store's, mapped onto the configured routes
    void start_store_sync();
    void stop_store_sync();
    Config config_;
    ModelPool pool_;
    Metrics metrics_;
    RateLimiter limiter_;                      // server.rate_limit and per-key limits
    asio::thread_pool blocking_;
    AccessLog log_;
    std::unique_ptr<Store> request_log_;       // SQLite or PostgreSQL (store/open_store.h)
    std::unique_ptr<ResponseStore> responses_;
    std::unique_ptr<router::Router> router_;   // destroyed after ctx_ users; flushes on destruction
    std::unique_ptr<PipelineHost> pipelines_;  // reset first in ~Server: its runs call the router and pool
    EventBus events_;                          // the UI's live feed
    std::unique_ptr<ServerContext> ctx_;
    HttpServer http_;
    asio::signal_set signals_;
    std::atomic<bool> drain_started_{false};
    std::thread store_sync_;                    // shared store only: learns other replicas' spend and bumps
    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    bool sync_stop_ = false;
};

}  // namespace switchyard::api
