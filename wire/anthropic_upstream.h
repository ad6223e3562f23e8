// The client side of the Anthropic Messages API: what a remote provider configured with
// `api: anthropic` sends and reads back. The router and the rest of the server speak chat
// completions internally, so a chat body is translated into a Messages request, and the upstream's
// Message (or its stream events message_start ... message_stop) back into a chat.completion (or
// chat.completion.chunk objects). The server side of the same API is wire/messages_format.h.
// Pure functions and a stateful stream decoder, no I/O; unit-tested in
// tests/unit/anthropic_upstream_test.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace switchyard::wire {

using json = nlohmann::json;

// Anthropic requires max_tokens; a chat request without one gets this.
inline constexpr int kAnthropicDefaultMaxTokens = 4096;

// A chat-completions body as a Messages body. System messages become `system`, tool messages
// `tool_result` blocks in a user turn, assistant tool_calls `tool_use` blocks, image_url parts
// image blocks. Fields Messages has no equivalent for (seed, penalties, logprobs) are dropped:
// Anthropic would refuse them. Returns nullopt with a reason in `why` for what cannot be
// expressed (n > 1, a JSON response_format, a malformed message): the caller answers 400.
std::optional<json> chat_to_anthropic(const json& chat, std::string& why);

// A Messages response as a chat.completion (id, model, choices[0].message with content and
// tool_calls, finish_reason, usage with prompt_tokens_details.cached_tokens). `stop_sequence`
// gets the stop sequence that ended the answer, if one did. Nullopt with `why` when the object is
// not a message.
std::optional<json> anthropic_to_completion(const json& message, std::string& stop_sequence, std::string& why);

// end_turn/stop_sequence/pause_turn -> stop, max_tokens -> length, tool_use -> tool_calls,
// refusal -> content_filter.
std::string finish_reason_of(const std::string& stop_reason);

// An Anthropic error body {"type": "error", "error": {"type", "message"}} (or its inner object) as
// an OpenAI error object {"message", "type", "code"}: the Anthropic type becomes the code. Null
// when the body is not that shape.
json anthropic_error_to_openai(const json& body);

// Turns stream events into chat.completion.chunk objects as they arrive: text_delta -> content,
// tool_use blocks and input_json_delta -> tool_calls deltas (indexed by order of appearance),
// message_delta -> the finish_reason chunk plus a usage-only chunk (choices: []).
class AnthropicStreamDecoder {
public:
    // One event (the SSE data, parsed). Chunks to relay, possibly none (ping, block stops).
    // An "error" event sets failed(); message_stop sets done().
    std::vector<json> feed(const json& event);
    bool done() const { return done_; }
    bool failed() const { return !error_.is_null(); }
    const json& error() const { return error_; }   // the event's body, as the upstream sent it
    const std::string& stop_sequence() const { return stop_sequence_; }

private:
    json chunk(json delta, const json& finish_reason = nullptr) const;
    std::string id_ = "msg", model_;
    long long created_ = 0;
    int input_tokens_ = 0, output_tokens_ = 0, cache_read_ = 0;
    int tool_calls_ = 0;                 // tool_use blocks seen so far
    std::vector<int> block_tool_;        // content block index -> tool call index (-1: not a tool)
    std::string stop_sequence_;
    bool done_ = false;
    json error_;
};

}  // namespace switchyard::wire
