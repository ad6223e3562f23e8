// Building blocks of OpenAI response objects and stream chunks: the envelope, deltas, tool calls,
// usage and logprobs in OpenAI's shapes. The local provider builds its answers from these; api/
// adds the final and usage chunks with them.
#pragma once

#include "engine/generation.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::wire {

using json = nlohmann::json;

json bytes_of(const std::string& s);
json chat_logprobs(const std::vector<TokenLogprob>& lps);
// Legacy /v1/completions shape: parallel arrays, appended to acc.
void append_text_logprobs(json& acc, const std::vector<TokenLogprob>& lps, std::size_t& offset);
json usage_json(const Usage& u);
json tool_calls_json(const std::vector<ToolCall>& calls);
json delta_json(const ChatDelta& d);
// {"id", "object", "created", "model", "system_fingerprint", "choices": [choice]}; a null choice
// gives an empty "choices" (the usage chunk). object: chat.completion, chat.completion.chunk, text_completion.
json completion_envelope(const std::string& id, const std::string& object, long long created, const std::string& model,
                         json choice);
// The legacy /v1/completions logprobs object with no tokens yet (filled by append_text_logprobs).
json empty_text_logprobs();

}  // namespace switchyard::wire
