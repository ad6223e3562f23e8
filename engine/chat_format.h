// Turns OpenAI-style chat input into the exact token sequence and grammar a model expects,
// using the chat template stored in the GGUF (llama.cpp's Jinja engine), and parses the model's
// output back into content and tool calls. Internal to the engine: it speaks llama.cpp types.
#pragma once

#include "engine/generation.h"

#include <chat.h>
#include <common.h>
#include <llama.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace switchyard {

// A prompt ready for the scheduler: tokens plus the constraints that go with them.
struct PreparedPrompt {
    std::vector<llama_token> tokens;
    common_grammar grammar;
    bool grammar_lazy = false;
    std::vector<common_grammar_trigger> grammar_triggers;
    std::set<llama_token> preserved_tokens;
    std::vector<std::string> extra_stops;
    // Text the template already put at the start of the answer; the grammar must start after it.
    std::string generation_prompt;
    // Set for chat requests: how to split output into content / tool calls.
    std::shared_ptr<const common_chat_parser_params> chat_parser;
    bool parse_tool_calls = false;
    // Non-empty when the template has no tool format and engine/generic_tools handles the calls.
    std::vector<ToolDefinition> generic_tools;
};

class ChatFormatter {
public:
    // template_source: Jinja text overriding the GGUF's chat template ("" = use the GGUF's).
    ChatFormatter(const llama_model* model, const std::string& template_source);
    PreparedPrompt prepare_chat(const ChatInput& input) const;
    PreparedPrompt prepare_completion(const std::string& prompt, const std::string& json_schema) const;
    std::vector<llama_token> tokenize(const std::string& text, bool add_special) const;
private:
    const llama_model* model_;
    const llama_vocab* vocab_;
    common_chat_templates_ptr templates_;
    bool native_tools_ = false;
};

// Incremental parser of one chat answer: feed text as it is generated, get OpenAI deltas.
class ChatOutputParser {
public:
    ChatOutputParser(std::shared_ptr<const common_chat_parser_params> params, bool tools,
                     std::vector<ToolDefinition> generic_tools = {});
    std::vector<ChatDelta> feed(const std::string& added);
    // Parses the whole output once more as complete text; sets final content and tool calls and
    // returns the deltas not yet sent.
    std::vector<ChatDelta> finish(std::string& content, std::vector<ToolCall>& tool_calls);
private:
    std::vector<ChatDelta> diff(const common_chat_msg& next);
    std::shared_ptr<const common_chat_parser_params> params_;
    std::vector<ToolDefinition> generic_tools_;
    bool holding_ = false;   // generic tools: output starts like JSON, hold it until it is complete
    bool structured_;   // false: output is plain content, no parsing needed
    std::string text_;
    common_chat_msg msg_;
    std::vector<std::string> tool_call_ids_;
};

// Grammar text for a JSON schema; throws EngineError(invalid_request) on a schema it cannot handle.
std::string grammar_for_json_schema(const std::string& schema_json);
// Narrows a JSON grammar's whitespace rule to one optional space (see chat_format.cpp).
std::string compact_json_whitespace(std::string grammar);

}  // namespace switchyard
