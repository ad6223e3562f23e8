#include "pipeline/nodes/chat_support.h"

namespace switchyard::pipeline::nodes {

std::vector<ParamSpec> chat_params(bool model_required) {
    return {
        {"model", ParamKind::string, model_required, true, "model or route name"},
        {"system", ParamKind::string, false, false, "system message"},
        {"temperature", ParamKind::number, false, false, "sampling temperature"},
        {"max_tokens", ParamKind::integer, false, false, "answer length limit"},
        {"seed", ParamKind::integer, false, false, "sampling seed"},
    };
}

json chat_request(const NodeContext& ctx, const std::string& system, const std::string& user, const json& schema,
                  double default_temperature) {
    json messages = json::array();
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    messages.push_back({{"role", "user"}, {"content", user}});
    json request = {{"model", ctx.string_param("model")},
                    {"messages", messages},
                    {"temperature", ctx.number_param("temperature", default_temperature)}};
    if (ctx.params.contains("max_tokens")) request["max_tokens"] = ctx.int_param("max_tokens", 0);
    if (ctx.params.contains("seed")) request["seed"] = ctx.int_param("seed", 0);
    if (!schema.is_null())
        request["response_format"] = {{"type", "json_schema"},
                                      {"json_schema", {{"name", ctx.node_id}, {"schema", schema}, {"strict", true}}}};
    return request;
}

std::string answer_text(const json& response) {
    if (response.contains("error")) {
        const auto& err = response["error"];
        throw NodeError("model error: " + (err.is_object() && err.contains("message") ? err["message"].get<std::string>() : err.dump()));
    }
    if (!response.contains("choices") || !response["choices"].is_array() || response["choices"].empty())
        throw NodeError("model response has no choices: " + response.dump().substr(0, 300));
    const auto& message = response["choices"][0]["message"];
    if (!message.is_object() || !message.contains("content") || !message["content"].is_string())
        throw NodeError("model response has no text content: " + response.dump().substr(0, 300));
    return message["content"].get<std::string>();
}

json answer_json(const json& response) {
    auto text = answer_text(response);
    auto parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded()) throw NodeError("model answer is not valid JSON: " + text.substr(0, 300));
    return parsed;
}

}  // namespace switchyard::pipeline::nodes
