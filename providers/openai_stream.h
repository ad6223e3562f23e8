// Pieces of the OpenAI chat-completion wire format that a remote provider has to read back into
// a ProviderResult: folding chunk deltas into one result, reading a complete
// response, and pulling a readable message out of an upstream error body. Pure functions, so
// they are tested without sockets.
#pragma once

#include "providers/provider.h"
#include "wire/sse_decoder.h"

#include <string>
#include <string_view>

namespace switchyard::providers {

// SSE reading lives with the rest of the wire format.
using wire::SseDecoder;

// Folds one chat.completion.chunk into the result: content and tool-call argument deltas are
// appended, usage, finish_reason and token logprobs recorded. Tolerates missing or null fields.
void accumulate_chunk(const json& chunk, ProviderResult& r);

// Reads a complete chat.completion into the result (response, content, tool calls, usage,
// finish_reason, logprobs). False with a reason when the object lacks choices[0].message.
bool read_completion(json completion, ProviderResult& r, std::string& why);   // moved into r.response

// The readable message of an upstream error response, in any of the shapes servers use:
// {"error": {"message": ...}} (OpenAI), {"error": "..."}, {"message": ...} (vLLM),
// {"detail": ...} (FastAPI) or plain text. error_body gets the error object when there is one.
std::string upstream_error_message(const std::string& body, json& error_body);

}  // namespace switchyard::providers
