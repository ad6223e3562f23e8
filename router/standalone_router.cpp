#include "router/standalone_router.h"

#include "providers/local_provider.h"
#include "providers/remote_factory.h"

#include <future>

namespace switchyard::router {

namespace {
// A named coroutine (not a lambda) whose arguments are references the blocked caller keeps
// alive, spawned detached with a promise rather than with use_future: GCC 12 mishandles
// coroutine lambdas' captures and co_spawn's result path.
asio::awaitable<void> run_route(Router& router, const json& request, const RequestContext& rc, RouteProgress& progress,
                                RouteOutcome& out, std::promise<void>& done) {
    try {
        out = co_await router.run(request, rc, nullptr, progress);
    } catch (...) {
        done.set_exception(std::current_exception());
        co_return;
    }
    done.set_value();
}
}  // namespace

RouteOutcome run_route_blocking(Router& router, asio::any_io_executor io, const json& request, const RequestContext& rc) {
    RouteProgress progress;
    RouteOutcome out;
    std::promise<void> done;
    // On a strand, like a connection's coroutine: providers wait on wire::AsyncQueue timers, whose
    // wake-ups must not run on another io thread in between their check and their wait.
    asio::co_spawn(asio::make_strand(io), run_route(router, request, rc, progress, out, done), asio::detached);
    done.get_future().get();
    return out;
}

StandaloneRouter::StandaloneRouter(const Config& config)
    : config_(config), pool_(config_), work_(asio::make_work_guard(io_)) {
    auto local = std::make_unique<providers::LocalProvider>(pool_, blocking_);
    router_ = std::make_unique<Router>(config_, std::move(local), providers::remote_provider_factory(io_.get_executor()),
                                       &pool_, &blocking_);
    io_thread_ = std::thread([this] { io_.run(); });
}

StandaloneRouter::~StandaloneRouter() {
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    blocking_.join();
    pool_.shutdown();
}

}  // namespace switchyard::router
