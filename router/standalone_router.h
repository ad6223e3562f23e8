// Running routes outside the server's request path: from a worker thread, waiting for the
// outcome (pipeline nodes, eval runs), and a whole router for processes without a server (CLI).
#pragma once

#include "engine/model_pool.h"
#include "router/router.h"

#include <boost/asio.hpp>

#include <memory>
#include <thread>

namespace switchyard::router {

// Runs `request` (its "model" a route) on a strand of `io` and blocks until the outcome is
// there. Must not be called from a thread running `io`.
RouteOutcome run_route_blocking(Router& router, asio::any_io_executor io, const json& request, const RequestContext& rc = {});

// The pool, a blocking pool, an io_context on its own thread and the router over them.
class StandaloneRouter {
public:
    explicit StandaloneRouter(const Config& config);
    ~StandaloneRouter();
    ModelPool& pool() { return pool_; }
    Router& router() { return *router_; }
    asio::any_io_executor io() { return io_.get_executor(); }
    // Blocks until the route answers (not from the io thread).
    RouteOutcome run(const json& request) { return run_route_blocking(*router_, io(), request); }

private:
    Config config_;
    ModelPool pool_;
    asio::thread_pool blocking_{2};
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::unique_ptr<Router> router_;   // declared after io_: its providers use io_ until they go
    std::thread io_thread_;
};

}  // namespace switchyard::router
