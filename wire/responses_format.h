// The OpenAI Responses API (POST /v1/responses) as a translation to and from the internal
// chat-completions request and result. Pure functions and a stateful stream encoder, no I/O,
// so every mapping and every error is unit-tested (tests/unit/responses_format_test.cpp).
#pragma once

#include "wire/reject.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::wire {

using json = nlohmann::json;

// A Responses request in chat terms. `messages` is what this request adds to the conversation
// (the stored history of previous_response_id goes in front of it; instructions are not carried
// over from an earlier response, as the Responses API specifies).
struct ResponsesRequest {
    json chat;                         // chat-completions body without "messages"
    json messages = json::array();     // this request's input as chat messages
    std::string instructions;          // becomes the system message, "" = none
    std::string previous_response_id;
    bool store = true;
    bool stream = false;
    json echo = json::object();        // request fields echoed in the response object
};

// Validates a Responses body; a violation throws ApiError (400) naming the field.
ResponsesRequest parse_responses_request(const json& body);

// The chat body to run: instructions, then the history, then this request's messages.
json responses_chat_body(const ResponsesRequest& r, const json& history);

// The answer as Responses output items; ids are taken from `ids` (see ResponseIds).
struct ResponseIds {
    std::string response;              // resp_...
    std::string message;               // msg_...
    std::vector<std::string> calls;    // fc_... per tool call (grown on demand)
    std::string call_id(std::size_t i);
};

struct ChatAnswer {
    std::string content;
    json tool_calls = json::array();   // chat-completions tool_calls
    std::string finish_reason;
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;
};

json response_output(const ChatAnswer& a, ResponseIds& ids);
// The whole response object. `status`: completed | incomplete | in_progress | failed.
json response_object(const ResponsesRequest& r, const std::string& model, long long created_at, const json& output,
                     const ChatAnswer* a, const std::string& status);
// The assistant turn of a finished answer as a chat message (stored for previous_response_id).
json assistant_message(const ChatAnswer& a);

// Turns chat.completion.chunk objects into Responses stream events (response.created,
// response.output_item.added, response.output_text.delta, ..., response.completed).
class ResponsesStream {
public:
    ResponsesStream(const ResponsesRequest& r, ResponseIds& ids, std::string model, long long created_at);
    std::vector<json> start();                         // created, in_progress
    std::vector<json> feed(const json& chunk);         // one chat chunk's deltas
    // Closes open items and ends with response.completed / response.incomplete. The items'
    // final text is what was streamed; `a` gives usage and finish reason.
    std::vector<json> finish(const ChatAnswer& a);
    std::vector<json> fail(const std::string& code, const std::string& message);
    void set_model(const std::string& m) { model_ = m; }
    bool streamed_anything() const { return !items_.empty(); }
    const json& output() const { return output_; }

private:
    json event(const std::string& type, json fields);
    void close_items(std::vector<json>& out);
    struct Item {
        std::string kind;              // message | function_call
        std::string id, call_id, name;
        std::string text;              // message text or call arguments
        std::size_t output_index = 0;
        int chat_index = -1;           // tool call index in the chat stream
        bool open = true;
    };
    const ResponsesRequest& req_;
    ResponseIds& ids_;
    std::string model_;
    long long created_at_;
    long long seq_ = 0;
    std::vector<Item> items_;
    json output_ = json::array();
};

// "event: TYPE\ndata: JSON\n\n": the framing of Responses and Messages streams.
std::string sse_typed_event(const json& ev);

}  // namespace switchyard::wire
