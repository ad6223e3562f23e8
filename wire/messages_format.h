// The Anthropic Messages API (POST /v1/messages) as a translation to and from the internal
// chat-completions request and result, its stream events (message_start ... message_stop) and
// its error shape. Pure functions and a stateful stream encoder, no I/O; unit-tested in
// tests/unit/messages_format_test.cpp.
#pragma once

#include "wire/responses_format.h"
#include "wire/reject.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::wire {

struct MessagesRequest {
    json chat;                         // chat-completions body (model, messages, tools, sampling, metadata)
    bool stream = false;
    std::vector<std::string> stop_sequences;
};

// Validates a Messages body (max_tokens is required, as Anthropic requires it).
MessagesRequest parse_messages_request(const json& body);
// For count_tokens: same body without max_tokens.
MessagesRequest parse_count_tokens_request(const json& body);

// end_turn | max_tokens | stop_sequence | tool_use, from the chat finish reason.
std::string stop_reason(const ChatAnswer& a, const std::string& stop_sequence);
json messages_content(const ChatAnswer& a);
json usage_object(const ChatAnswer& a);
json message_object(const std::string& id, const std::string& model, const ChatAnswer& a, const std::string& stop_sequence);

// {"type": "error", "error": {"type", "message"}}, the type chosen from the HTTP status.
json anthropic_error(int status, const std::string& message);

class MessagesStream {
public:
    MessagesStream(std::string id, std::string model) : id_(std::move(id)), model_(std::move(model)) {}
    std::vector<json> start();                 // message_start, ping
    std::vector<json> feed(const json& chunk);
    std::vector<json> finish(const ChatAnswer& a, const std::string& stop_sequence);   // ... message_delta, message_stop
    std::vector<json> fail(int status, const std::string& message);
    void set_model(const std::string& m) { model_ = m; }
    bool streamed_anything() const { return blocks_ > 0; }

private:
    void close_block(std::vector<json>& out);
    std::string id_, model_;
    int blocks_ = 0;                   // content blocks started
    std::string open_kind;             // "" | text | tool_use
    int open_tool_index = -1;
};

}  // namespace switchyard::wire
