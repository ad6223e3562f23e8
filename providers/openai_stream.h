// Pieces of the OpenAI chat-completion wire format that a remote provider has to read back:
// SSE framing of streamed responses, folding chunk deltas into one result, reading a complete
// response, and pulling a readable message out of an upstream error body. Pure functions, so
// they are tested without sockets.
#pragma once

#include "providers/provider.h"

#include <string>
#include <string_view>

namespace switchyard::providers {

// Splits a server-sent-events byte stream into event payloads, whatever the read boundaries
// (an event may arrive in many pieces, or many events in one read). Lines end in "\n" or "\r\n";
// "data:" lines of one event are joined with "\n"; comments (": keep-alive", sent by OpenRouter)
// and other fields are skipped.
class SseDecoder {
public:
    void feed(std::string_view bytes) { buf_.append(bytes); }
    // Next complete event's data; false when no complete event is buffered yet.
    bool next(std::string& data);
    // Bytes received but not yet part of a complete event.
    std::size_t pending() const { return buf_.size() - pos_; }

private:
    std::string buf_;
    std::size_t pos_ = 0;
    std::string data_;
    bool has_data_ = false;
};

// Folds one chat.completion.chunk into the result: content and tool-call argument deltas are
// appended, usage, finish_reason and token logprobs recorded. Tolerates missing or null fields.
void accumulate_chunk(const json& chunk, ProviderResult& r);

// Reads a complete chat.completion into the result (response, content, tool calls, usage,
// finish_reason, logprobs). False with a reason when the object lacks choices[0].message.
bool read_completion(const json& completion, ProviderResult& r, std::string& why);

// The readable message of an upstream error response, in any of the shapes servers use:
// {"error": {"message": ...}} (OpenAI), {"error": "..."}, {"message": ...} (vLLM),
// {"detail": ...} (FastAPI) or plain text. error_body gets the error object when there is one.
std::string upstream_error_message(const std::string& body, json& error_body);

}  // namespace switchyard::providers
