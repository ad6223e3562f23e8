// Shared by the nodes that ask a chat model something: building the OpenAI request from node
// params and reading the answer back.
#pragma once

#include "pipeline/node_type.h"

#include <string>

namespace switchyard::pipeline::nodes {

// Params every chat-based node accepts, in addition to its own.
std::vector<ParamSpec> chat_params(bool model_required = true);

// {model, messages: [system?, user], temperature, max_tokens, seed, response_format?}.
// schema: JSON schema the answer must follow (null = free text).
nlohmann::json chat_request(const NodeContext& ctx, const std::string& system, const std::string& user,
                            const nlohmann::json& schema, double default_temperature);

// The assistant's text; throws NodeError when the response has an error or no content.
std::string answer_text(const nlohmann::json& response);
// The answer parsed as JSON; throws NodeError quoting the text when it is not JSON.
nlohmann::json answer_json(const nlohmann::json& response);

}  // namespace switchyard::pipeline::nodes
