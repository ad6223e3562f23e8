// Tool calling for models whose chat template has no tool format (Gemma 3 among them): the
// tools are described in a system message, the model answers with one JSON object
// {"name": ..., "arguments": {...}}, constrained by a grammar when a call is required, and that
// object becomes an OpenAI tool call. Templates with native tool support never come here.
#pragma once

#include "engine/generation.h"

#include <optional>
#include <string>
#include <vector>

namespace switchyard {

// The request with the tool descriptions folded into the system message and the tools removed.
ChatInput with_tool_instructions(const ChatInput& input);
// JSON Schema of a call to any one of the tools.
std::string tool_call_schema(const std::vector<ToolDefinition>& tools);
// A tool call if text is one JSON object naming a known tool; nullopt otherwise.
std::optional<ToolCall> parse_generic_tool_call(const std::string& text, const std::vector<ToolDefinition>& tools);

}  // namespace switchyard
