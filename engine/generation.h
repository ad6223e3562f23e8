// What a caller hands the engine to generate text, and what it gets back, token by token.
// Plain structs with no llama.cpp types, so the HTTP layer and embedding apps never include llama.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard {

struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;  // JSON text, as OpenAI sends it
};

struct ChatMessage {
    std::string role;                 // system | user | assistant | tool
    std::string content;
    std::vector<ToolCall> tool_calls; // assistant turns that called tools
    std::string tool_call_id;         // tool turns
    std::string name;
};

struct ToolDefinition {
    std::string name;
    std::string description;
    std::string parameters_json;      // JSON Schema text
};

// Everything that shapes one generation, with request values already merged over model defaults.
struct SamplingParams {
    int max_tokens = 512;
    float temperature = 0.8f;
    float top_p = 0.95f;
    int top_k = 40;
    float min_p = 0.05f;
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    float repeat_penalty = 1.0f;
    std::optional<std::uint32_t> seed;
    std::vector<std::string> stop;
    int top_logprobs = -1;            // -1: no logprobs; 0..20: logprob of the chosen token plus N alternatives
};

struct ChatInput {
    std::vector<ChatMessage> messages;
    std::vector<ToolDefinition> tools;
    std::string tool_choice = "auto"; // auto | none | required
    std::string json_schema;          // non-empty: output constrained to this schema (response_format)
};

struct TopLogprob {
    std::string token;
    float logprob = 0;
};

struct TokenLogprob {
    std::string token;
    float logprob = 0;
    std::vector<TopLogprob> top;
};

// Incremental change of a chat answer, ready to become an OpenAI "delta".
struct ChatDelta {
    std::string content;
    int tool_call_index = -1;         // >= 0: this delta belongs to a tool call
    std::string tool_call_id;
    std::string tool_call_name;
    std::string tool_call_arguments;
};

struct Usage {
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_prompt_tokens = 0;     // prompt tokens reused from the KV cache of an earlier turn
    int draft_tokens = 0;             // speculative decoding: tokens drafted and verified ...
    int accepted_draft_tokens = 0;    // ... and those the model agreed with (part of completion_tokens)
};

struct GenerationEvent {
    enum class Type { delta, done, error } type = Type::delta;
    std::string text;                 // raw text added (completions) / content added (chat)
    std::vector<ChatDelta> chat_deltas;
    std::vector<TokenLogprob> logprobs;
    // done:
    std::string finish_reason;        // stop | length | tool_calls | cancelled
    std::string stop_sequence;        // the request's stop string that ended the answer, if one did
    Usage usage;
    std::string full_text;            // chat: final content; completions: whole text
    std::vector<ToolCall> tool_calls;
    // error:
    std::string error;
};

using EventSink = std::function<void(GenerationEvent&&)>;

// Returned by submit(); lets the caller cancel (client went away) at any time.
class GenerationHandle {
public:
    void cancel() { cancelled_.store(true); }
    bool cancelled() const { return cancelled_.load(); }
private:
    std::atomic<bool> cancelled_{false};
};

}  // namespace switchyard
