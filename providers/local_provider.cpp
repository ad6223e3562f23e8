#include "providers/local_provider.h"

#include "api/event_channel.h"
#include "api/openai_format.h"
#include "api/request_parsing.h"
#include "providers/offload.h"

#include <chrono>
#include <ctime>

namespace switchyard::providers {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

asio::awaitable<ProviderResult> LocalProvider::chat(const json& request, const ChunkSink* sink) {
    auto t0 = std::chrono::steady_clock::now();
    ProviderResult result;
    std::shared_ptr<api::EventChannel> chan;
    std::shared_ptr<GenerationHandle> handle;
    ModelLease lease;
    api::ChatRequest req;
    try {
        std::string model = api::require_model(request);
        auto acquire = [this, &model] { return pool_.acquire(model); };
        lease = co_await offload(blocking_, acquire);
        req = api::parse_chat_request(request, lease->spec().sampling);
        chan = std::make_shared<api::EventChannel>(co_await asio::this_coro::executor);
        auto submit = [&] { return lease->generate_chat(req.input, req.sampling, chan->sink()); };
        handle = co_await offload(blocking_, submit);
    } catch (const api::ApiError& e) {
        result.status = e.status;
        result.error = e.message;
        result.error_body = e.body()["error"];
    } catch (const EngineError& e) {
        auto err = api::ApiError::from_engine(e);
        result.status = err.status;
        result.error = err.message;
        result.error_body = err.body()["error"];
    }
    if (result.status != 200) {
        result.latency_ms = ms_since(t0);
        co_return result;
    }
    const bool stream = sink && req.stream;
    const std::string id = "chatcmpl-local";
    const long long created = static_cast<long long>(std::time(nullptr));
    const std::string model_name = lease->spec().name;
    auto chunk_of = [&](json choice) {
        return json{{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model_name},
                    {"choices", json::array({std::move(choice)})}};
    };
    bool open = true;
    std::vector<TokenLogprob> lps;
    for (bool finished = false; !finished;) {
        auto events = co_await chan->next();
        for (auto& ev : events) {
            if (ev.type == GenerationEvent::Type::delta) {
                if (result.ttft_ms < 0) result.ttft_ms = ms_since(t0);
                for (const auto& lp : ev.logprobs) result.token_logprobs.push_back(lp.logprob);
                lps.insert(lps.end(), ev.logprobs.begin(), ev.logprobs.end());
                if (!stream || !open) continue;
                for (const auto& d : ev.chat_deltas) {
                    json c = chunk_of({{"index", 0}, {"delta", api::delta_json(d)}, {"logprobs", nullptr}, {"finish_reason", nullptr}});
                    result.streamed_to_client = true;
                    if (!(open = co_await (*sink)(c))) { handle->cancel(); break; }
                }
                continue;
            }
            finished = true;
            if (ev.type == GenerationEvent::Type::error) {
                result.status = 500;
                result.error = "local model '" + model_name + "' failed: " + ev.error;
                break;
            }
            result.content = ev.full_text;
            result.tool_calls = api::tool_calls_json(ev.tool_calls);
            result.prompt_tokens = ev.usage.prompt_tokens;
            result.completion_tokens = ev.usage.completion_tokens;
            result.finish_reason = ev.finish_reason;
            result.stop_sequence = ev.stop_sequence;
            json msg = {{"role", "assistant"}, {"content", ev.full_text}};
            if (!ev.tool_calls.empty()) msg["tool_calls"] = result.tool_calls;
            result.response = {{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", model_name},
                               {"choices", json::array({{{"index", 0}, {"message", msg},
                                                         {"logprobs", req.logprobs ? api::chat_logprobs(lps) : json(nullptr)},
                                                         {"finish_reason", ev.finish_reason}}})},
                               {"usage", api::usage_json(ev.usage)}};
        }
    }
    result.latency_ms = ms_since(t0);
    co_return result;
}

}  // namespace switchyard::providers
