#include "pipeline/pool_services.h"

#include "engine/engine_error.h"
#include "pipeline/node_type.h"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace switchyard::pipeline {

namespace {

std::string message_text(const json& content) {
    if (content.is_string()) return content.get<std::string>();
    if (content.is_null()) return "";
    if (!content.is_array()) throw NodeError("chat request: message content must be text or a list of text parts");
    std::string text;
    for (const auto& part : content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text"))
            throw NodeError("chat request: only text content parts are supported by local models");
        text += part["text"].get<std::string>();
    }
    return text;
}

}  // namespace

void parse_pipeline_chat_request(const json& request, const SamplingDefaults& defaults, ChatInput& input,
                                 SamplingParams& sampling) {
    if (!request.contains("messages") || !request["messages"].is_array() || request["messages"].empty())
        throw NodeError("chat request: 'messages' must be a non-empty list");
    for (const auto& m : request["messages"]) {
        ChatMessage msg;
        msg.role = m.value("role", "user");
        msg.content = message_text(m.value("content", json()));
        input.messages.push_back(std::move(msg));
    }
    sampling.temperature = request.value("temperature", defaults.temperature);
    sampling.top_p = request.value("top_p", defaults.top_p);
    sampling.top_k = request.value("top_k", defaults.top_k);
    sampling.min_p = request.value("min_p", defaults.min_p);
    sampling.presence_penalty = request.value("presence_penalty", defaults.presence_penalty);
    sampling.frequency_penalty = request.value("frequency_penalty", defaults.frequency_penalty);
    sampling.repeat_penalty = request.value("repeat_penalty", defaults.repeat_penalty);
    sampling.max_tokens = request.value("max_tokens", defaults.max_tokens);
    if (request.contains("seed")) sampling.seed = request["seed"].get<std::uint32_t>();
    if (request.contains("stop")) {
        const auto& stop = request["stop"];
        if (stop.is_string()) sampling.stop.push_back(stop.get<std::string>());
        else if (stop.is_array()) for (const auto& s : stop) sampling.stop.push_back(s.get<std::string>());
    }
    if (request.contains("response_format")) {
        const auto& rf = request["response_format"];
        const std::string type = rf.value("type", "text");
        if (type == "json_schema") input.json_schema = rf.at("json_schema").at("schema").dump();
        else if (type == "json_object") input.json_schema = R"({"type":"object"})";
        else if (type != "text") throw NodeError("chat request: unsupported response_format type '" + type + "'");
    }
}

json PoolServices::chat(const json& request) { return chat_stream(request, {}); }

json PoolServices::chat_stream(const json& request, const ChatStreamOptions& options) {
    const std::string model = request.value("model", "");
    ModelLease lease = pool_.acquire(model);   // EngineError names the model; the node adds its own name
    ChatInput input;
    SamplingParams sampling;
    parse_pipeline_chat_request(request, lease->spec().sampling, input, sampling);

    // The sink runs on the model's scheduler thread; this thread waits for the final event.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    GenerationEvent final_event;
    auto handle = lease->generate_chat(input, sampling, [&](GenerationEvent&& ev) {
        if (ev.type == GenerationEvent::Type::delta) {
            if (options.on_delta)
                for (const auto& d : ev.chat_deltas)
                    if (!d.content.empty()) options.on_delta(d.content);
            return;
        }
        std::lock_guard lock(mu);
        final_event = std::move(ev);
        done = true;
        cv.notify_all();
    });
    {
        std::unique_lock lock(mu);
        while (!cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; }))
            if (options.cancel && options.cancel->load()) handle->cancel();
    }
    if (final_event.type == GenerationEvent::Type::error)
        throw NodeError("model '" + lease->spec().name + "' failed: " + final_event.error);
    // A partial answer must not look like a result (it would be cached).
    if (final_event.finish_reason == "cancelled") throw NodeError("cancelled");
    json message = {{"role", "assistant"}, {"content", final_event.full_text}};
    const auto& u = final_event.usage;
    return {{"id", "chatcmpl-pipeline"},
            {"object", "chat.completion"},
            {"created", static_cast<long long>(std::time(nullptr))},
            {"model", lease->spec().name},
            {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", final_event.finish_reason}}})},
            {"usage", {{"prompt_tokens", u.prompt_tokens}, {"completion_tokens", u.completion_tokens},
                       {"total_tokens", u.prompt_tokens + u.completion_tokens}}}};
}

std::vector<std::vector<float>> PoolServices::embed(const std::string& model, const std::vector<std::string>& texts) {
    ModelLease lease = pool_.acquire(model);
    int prompt_tokens = 0;
    return lease->embed(texts, prompt_tokens);
}

std::string PoolServices::model_identity(const std::string& model) {
    const ModelSpec* spec = pool_.config().find_model(model);
    if (!spec) return "unknown:" + model;
    std::error_code ec;
    auto size = std::filesystem::file_size(spec->file, ec);
    auto mtime = std::filesystem::last_write_time(spec->file, ec);
    return spec->name + "|" + spec->file.string() + "|" + std::to_string(ec ? 0 : size) + "|" +
           std::to_string(ec ? 0 : mtime.time_since_epoch().count()) + "|" + spec->chat_template.string();
}

bool PoolServices::known_model(const std::string& model) { return pool_.config().find_model(model) != nullptr; }

}  // namespace switchyard::pipeline
