#include "router/pipeline_services.h"

#include "pipeline/node_type.h"
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

RoutedPipelineServices::RoutedPipelineServices(ModelPool& pool, Router* router, asio::any_io_executor io)
    : local_(pool), router_(router), io_(std::move(io)) {}

json RoutedPipelineServices::chat(const json& request) {
    const std::string model = request.value("model", "");
    if (!router_ || !router_->has_route(model)) return local_.chat(request);
    json body = request;
    body["stream"] = false;
    RequestContext rc;
    RouteProgress progress;
    RouteOutcome out;
    std::promise<void> done;
    // On a strand, like a connection's coroutine: providers wait on api::AsyncQueue timers, whose
    // wake-ups must not run on another io thread in between their check and their wait.
    asio::co_spawn(asio::make_strand(io_), run_route(*router_, body, rc, progress, out, done), asio::detached);
    done.get_future().get();
    if (!out.ok) throw pipeline::NodeError("route '" + model + "': " + out.error);
    json response = out.result.response;
    response["model"] = out.model;
    response["switchyard"] = {{"route", model}, {"tier", out.tier}, {"cost", out.cost}, {"escalations", out.escalations}};
    return response;
}

json RoutedPipelineServices::chat_stream(const json& request, const pipeline::ChatStreamOptions& options) {
    const std::string model = request.value("model", "");
    if (!router_ || !router_->has_route(model)) return local_.chat_stream(request, options);
    // A route may buffer (cascade checks, redaction): its answer arrives in one piece.
    return PipelineServices::chat_stream(request, options);
}

std::vector<std::vector<float>> RoutedPipelineServices::embed(const std::string& model, const std::vector<std::string>& texts) {
    return local_.embed(model, texts);
}

std::string RoutedPipelineServices::model_identity(const std::string& model) {
    if (router_ && router_->has_route(model)) return "route:" + model;
    return local_.model_identity(model);
}

bool RoutedPipelineServices::known_model(const std::string& model) {
    return local_.known_model(model) || (router_ && router_->has_route(model));
}

StandalonePipelineHost::StandalonePipelineHost(const Config& config)
    : config_(config), pool_(config_), work_(asio::make_work_guard(io_)) {
    if (!config_.routes.empty()) {
        auto local = std::make_unique<providers::LocalProvider>(pool_, blocking_);
        router_ = std::make_unique<Router>(config_, std::move(local), providers::remote_provider_factory(io_.get_executor()),
                                           &pool_, &blocking_);
    }
    services_ = std::make_unique<RoutedPipelineServices>(pool_, router_.get(), io_.get_executor());
    io_thread_ = std::thread([this] { io_.run(); });
}

StandalonePipelineHost::~StandalonePipelineHost() {
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    blocking_.join();
    pool_.shutdown();
}

}  // namespace switchyard::router
