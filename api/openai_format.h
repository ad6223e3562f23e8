// Building blocks of OpenAI response objects shared by the direct model path (api/) and the
// local provider (providers/): deltas, tool calls, usage and logprobs in OpenAI's shapes.
#pragma once

#include "engine/generation.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::api {

using json = nlohmann::json;

json bytes_of(const std::string& s);
json chat_logprobs(const std::vector<TokenLogprob>& lps);
// Legacy /v1/completions shape: parallel arrays, appended to acc.
void append_text_logprobs(json& acc, const std::vector<TokenLogprob>& lps, std::size_t& offset);
json usage_json(const Usage& u);
json tool_calls_json(const std::vector<ToolCall>& calls);
json delta_json(const ChatDelta& d);

}  // namespace switchyard::api
