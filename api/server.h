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

#include <iostream>
#include <memory>

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
    Config config_;
    ModelPool pool_;
    Metrics metrics_;
    RateLimiter limiter_;                      // server.rate_limit and per-key limits
    asio::thread_pool blocking_;
    AccessLog log_;
    std::unique_ptr<RequestLog> request_log_;
    std::unique_ptr<router::Router> router_;   // destroyed after ctx_ users; flushes on destruction
    std::unique_ptr<PipelineHost> pipelines_;  // reset first in ~Server: its runs call the router and pool
    EventBus events_;                          // the UI's live feed
    std::unique_ptr<ServerContext> ctx_;
    HttpServer http_;
    asio::signal_set signals_;
    std::atomic<bool> drain_started_{false};
};

}  // namespace switchyard::api
