// The one place where engine events become OpenAI answers: chunks while streaming, one
// chat.completion / text_completion object at the end. The HTTP layer (api/) only relays what
// comes out of here (through the router), adding the final and usage chunks.
#include "providers/local_provider.h"

#include "providers/offload.h"
#include "wire/event_channel.h"
#include "wire/openai_format.h"
#include "wire/request_parsing.h"

#include <chrono>
#include <ctime>

namespace switchyard::providers {

namespace {
double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void fail(ProviderResult& r, const wire::ApiError& e) {
    r.status = e.status;
    r.error = e.message;
    r.error_body = e.body()["error"];
    r.retry_after = e.retry_after;
}

json choice_delta(json delta, json logprobs) {
    return {{"index", 0}, {"delta", std::move(delta)}, {"logprobs", std::move(logprobs)}, {"finish_reason", nullptr}};
}

json choice_text(const std::string& text, json logprobs) {
    return {{"index", 0}, {"text", text}, {"logprobs", std::move(logprobs)}, {"finish_reason", nullptr}};
}
}  // namespace

asio::awaitable<ProviderResult> LocalProvider::chat(const json& request, const ChunkSink* sink) {
    CallOptions options;
    co_return co_await call(request, sink, options);
}

asio::awaitable<ProviderResult> LocalProvider::call(const json& request, const ChunkSink* sink, const CallOptions& options) {
    auto t0 = std::chrono::steady_clock::now();
    ProviderResult result;
    const bool text = options.endpoint == Endpoint::text;
    std::shared_ptr<wire::EventChannel> chan;
    std::shared_ptr<GenerationHandle> handle;
    ModelLease lease;
    wire::ChatRequest chat_req;
    wire::CompletionRequest text_req;
    try {
        std::string model = wire::require_model(request);
        auto acquire = [this, &model] { return pool_.acquire(model); };
        lease = co_await offload(blocking_, acquire);
        chan = std::make_shared<wire::EventChannel>(co_await asio::this_coro::executor);
        if (text) {
            text_req = wire::parse_completion_request(request, lease->spec().sampling);
            auto submit = [&] { return lease->generate_text(text_req.prompt, text_req.json_schema, text_req.sampling, chan->sink()); };
            handle = co_await offload(blocking_, submit);
        } else {
            chat_req = wire::parse_chat_request(request, lease->spec().sampling);
            auto submit = [&] { return lease->generate_chat(chat_req.input, chat_req.sampling, chan->sink()); };
            handle = co_await offload(blocking_, submit);
        }
    } catch (const wire::ApiError& e) {
        fail(result, e);
    } catch (const EngineError& e) {
        fail(result, wire::ApiError::from_engine(e));
    }
    if (result.status != 200) {
        result.latency_ms = ms_since(t0);
        co_return result;
    }
    if (options.cancel) options.cancel->on_cancel([handle] { handle->cancel(); });

    const bool stream = sink && (text ? text_req.stream : chat_req.stream);
    const bool logprobs = text ? text_req.logprobs >= 0 : chat_req.logprobs;
    const bool echo = text && text_req.echo;
    const std::string id = text ? "cmpl-local" : "chatcmpl-local";
    const std::string object = text ? "text_completion" : stream ? "chat.completion.chunk" : "chat.completion";
    const long long created = static_cast<long long>(std::time(nullptr));
    const std::string model_name = lease->spec().name;
    bool open = true;
    json chunk;
    // Sends `chunk` (set by frame()). No parameters: GCC 12 mishandles by-value coroutine arguments.
    auto frame = [&](json choice) { chunk = wire::completion_envelope(id, object, created, model_name, std::move(choice)); };
    auto send = [&]() -> asio::awaitable<void> {
        result.streamed_to_client = true;
        if (!(open = co_await (*sink)(chunk))) handle->cancel();  // the client went away: stop now, wait for the done event
    };
    if (stream) {
        // What OpenAI sends before any token: the assistant's role, or (text) the echoed prompt.
        if (!text) frame(choice_delta({{"role", "assistant"}, {"content", ""}}, nullptr));
        else if (echo) frame(choice_text(text_req.prompt, nullptr));
        if (!text || echo) co_await send();
    }

    std::string full_text;                      // text completions: the generated text
    json text_lp = wire::empty_text_logprobs();
    std::size_t text_offset = echo ? text_req.prompt.size() : 0;
    std::vector<TokenLogprob> lps;
    for (bool finished = false; !finished;) {
        auto events = co_await chan->next();
        for (auto& ev : events) {
            if (ev.type == GenerationEvent::Type::delta) {
                if (result.ttft_ms < 0) result.ttft_ms = ms_since(t0);
                for (const auto& lp : ev.logprobs) result.token_logprobs.push_back(lp.logprob);
                if (!stream) {
                    if (text) {
                        full_text += ev.text;
                        wire::append_text_logprobs(text_lp, ev.logprobs, text_offset);
                    } else {
                        lps.insert(lps.end(), ev.logprobs.begin(), ev.logprobs.end());
                    }
                    continue;
                }
                if (text) full_text += ev.text;
                if (!open) continue;
                if (text) {
                    json lp = nullptr;
                    if (logprobs) {
                        lp = wire::empty_text_logprobs();
                        wire::append_text_logprobs(lp, ev.logprobs, text_offset);
                    }
                    frame(choice_text(ev.text, std::move(lp)));
                    co_await send();
                    continue;
                }
                bool lp_sent = false;   // a token's logprobs go with the first delta it produced
                for (const auto& d : ev.chat_deltas) {
                    frame(choice_delta(wire::delta_json(d), logprobs && !lp_sent ? wire::chat_logprobs(ev.logprobs) : json(nullptr)));
                    co_await send();
                    lp_sent = true;
                    if (!open) break;
                }
                if (open && logprobs && !lp_sent && !ev.logprobs.empty()) {
                    frame(choice_delta(json::object(), wire::chat_logprobs(ev.logprobs)));
                    co_await send();
                }
                continue;
            }
            finished = true;
            if (ev.type == GenerationEvent::Type::error) {
                fail(result, wire::ApiError::make(500, "server_error", "generation_failed", "Generation failed: " + ev.error));
                break;
            }
            result.content = text ? full_text : ev.full_text;
            result.tool_calls = wire::tool_calls_json(ev.tool_calls);
            result.prompt_tokens = ev.usage.prompt_tokens;
            result.completion_tokens = ev.usage.completion_tokens;
            result.cached_tokens = ev.usage.cached_prompt_tokens;
            result.usage = wire::usage_json(ev.usage);
            result.finish_reason = ev.finish_reason;
            result.stop_sequence = ev.stop_sequence;
            json choice;
            if (text) {
                choice = {{"index", 0}, {"text", (echo ? text_req.prompt : "") + full_text},
                          {"logprobs", logprobs ? text_lp : json(nullptr)}, {"finish_reason", ev.finish_reason}};
            } else {
                json msg = {{"role", "assistant"}, {"content", ev.full_text}};
                if (!ev.tool_calls.empty()) {
                    msg["tool_calls"] = result.tool_calls;
                    if (ev.full_text.empty()) msg["content"] = nullptr;
                }
                choice = {{"index", 0}, {"message", msg}, {"logprobs", logprobs ? wire::chat_logprobs(lps) : json(nullptr)},
                          {"finish_reason", ev.finish_reason}};
            }
            result.response = wire::completion_envelope(id, text ? "text_completion" : "chat.completion", created, model_name, std::move(choice));
            result.response["usage"] = result.usage;
        }
    }
    result.latency_ms = ms_since(t0);
    co_return result;
}

}  // namespace switchyard::providers
