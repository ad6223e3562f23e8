#include "router/pipeline_services.h"

#include "pipeline/node_type.h"
#include "router/standalone_router.h"

namespace switchyard::router {

RoutedPipelineServices::RoutedPipelineServices(ModelPool& pool, Router* router, asio::any_io_executor io)
    : local_(pool), router_(router), io_(std::move(io)) {}

json RoutedPipelineServices::chat(const json& request) {
    const std::string model = request.value("model", "");
    if (!router_ || !router_->has_route(model)) return local_.chat(request);
    json body = request;
    body["stream"] = false;
    RouteOutcome out = run_route_blocking(*router_, io_, body);
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
    : host_(config), services_(host_.pool(), &host_.router(), host_.io()) {}

}  // namespace switchyard::router
