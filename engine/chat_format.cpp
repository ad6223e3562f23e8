#include "engine/chat_format.h"

#include "engine/engine_error.h"
#include "engine/generic_tools.h"

#include <json-schema-to-grammar.h>

#include <random>

namespace switchyard {
namespace {

std::string random_call_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string id = "call_";
    for (int i = 0; i < 24; ++i) id += alphabet[rng() % 62];
    return id;
}

common_chat_msg to_common(const ChatMessage& m) {
    common_chat_msg out;
    out.role = m.role;
    out.content = m.content;
    out.tool_call_id = m.tool_call_id;
    out.tool_name = m.role == "tool" ? m.name : "";
    for (const auto& tc : m.tool_calls) out.tool_calls.push_back({tc.name, tc.arguments, tc.id});
    return out;
}

}  // namespace

// llama.cpp's JSON grammars let whitespace be newlines plus up to 20 tabs or spaces. Small
// models fall into that freedom and emit whitespace until max_tokens, never closing the object;
// one optional space between tokens keeps the output valid JSON and finite.
std::string compact_json_whitespace(std::string g) {
    auto at = g.find("space ::= ");
    if (at != std::string::npos && (at == 0 || g[at - 1] == '\n')) {
        auto end = g.find('\n', at);
        g.replace(at, end == std::string::npos ? std::string::npos : end - at, "space ::= | \" \"");
    }
    return g;
}

std::string grammar_for_json_schema(const std::string& schema_json) {
    try {
        return compact_json_whitespace(json_schema_to_grammar(common_json::parse(schema_json)));
    } catch (const std::exception& e) {
        throw EngineError(EngineErrorKind::invalid_request,
                          std::string("response_format.json_schema.schema cannot be used: ") + e.what(),
                          "response_format");
    }
}

ChatFormatter::ChatFormatter(const llama_model* model, const std::string& template_source)
    : model_(model), vocab_(llama_model_get_vocab(model)), templates_(common_chat_templates_init(model, template_source)) {
    auto caps = common_chat_templates_get_caps(templates_.get());
    native_tools_ = caps["supports_tool_calls"] && caps["supports_tools"];
}

std::vector<llama_token> ChatFormatter::tokenize(const std::string& text, bool add_special) const {
    auto tokens = common_tokenize(vocab_, text, add_special, /*parse_special=*/true);
    // Templates that print the BOS themselves plus add_special would give two; the model wants one.
    llama_token bos = llama_vocab_bos(vocab_);
    if (tokens.size() >= 2 && tokens[0] == bos && tokens[1] == bos) tokens.erase(tokens.begin());
    return tokens;
}

PreparedPrompt ChatFormatter::prepare_chat(const ChatInput& input) const {
    if (!input.tools.empty() && input.tool_choice != "none" && !native_tools_) {
        ChatInput fallback = with_tool_instructions(input);
        if (input.tool_choice == "required") fallback.json_schema = tool_call_schema(input.tools);
        PreparedPrompt p = prepare_chat(fallback);
        p.generic_tools = input.tools;
        return p;
    }
    common_chat_templates_inputs in;
    for (const auto& m : input.messages) in.messages.push_back(to_common(m));
    for (const auto& t : input.tools) in.tools.push_back({t.name, t.description, t.parameters_json});
    in.tool_choice = input.tool_choice == "none" ? COMMON_CHAT_TOOL_CHOICE_NONE
                   : input.tool_choice == "required" ? COMMON_CHAT_TOOL_CHOICE_REQUIRED
                   : COMMON_CHAT_TOOL_CHOICE_AUTO;
    in.json_schema = input.json_schema;
    in.add_generation_prompt = true;
    in.use_jinja = true;
    in.enable_thinking = false;
    in.parallel_tool_calls = false;

    common_chat_params params;
    try {
        params = common_chat_templates_apply(templates_.get(), in);
    } catch (const std::exception& e) {
        throw EngineError(EngineErrorKind::invalid_request, std::string("cannot apply the model's chat template: ") + e.what(), "messages");
    }

    PreparedPrompt p;
    p.tokens = tokenize(params.prompt, true);
    if (!params.grammar.empty()) {
        p.grammar = {input.json_schema.empty() ? COMMON_GRAMMAR_TYPE_TOOL_CALLS : COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT,
                     compact_json_whitespace(params.grammar)};
    } else if (!input.json_schema.empty()) {
        p.grammar = {COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT, grammar_for_json_schema(input.json_schema)};
    }
    p.grammar_lazy = params.grammar_lazy && !params.grammar.empty();
    for (const auto& t : params.preserved_tokens) {
        auto ids = common_tokenize(vocab_, t, false, true);
        if (ids.size() == 1) p.preserved_tokens.insert(ids[0]);
    }
    for (auto trig : params.grammar_triggers) {
        // A trigger word that is one special token is matched by id, as llama-server does.
        if (trig.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD) {
            auto ids = common_tokenize(vocab_, trig.value, false, true);
            if (ids.size() == 1 && p.preserved_tokens.count(ids[0])) {
                trig.type = COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN;
                trig.token = ids[0];
            }
        }
        p.grammar_triggers.push_back(trig);
    }
    if (p.grammar_lazy && p.grammar_triggers.empty()) p.grammar_lazy = false;
    p.extra_stops = params.additional_stops;
    p.generation_prompt = params.generation_prompt;
    auto parser = std::make_shared<common_chat_parser_params>(params);
    if (!params.parser.empty()) parser->parser.load(params.parser);
    parser->parse_tool_calls = !input.tools.empty() && input.tool_choice != "none";
    p.parse_tool_calls = parser->parse_tool_calls;
    p.chat_parser = std::move(parser);
    return p;
}

PreparedPrompt ChatFormatter::prepare_completion(const std::string& prompt, const std::string& json_schema) const {
    PreparedPrompt p;
    p.tokens = tokenize(prompt, true);
    if (!json_schema.empty()) p.grammar = {COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT, grammar_for_json_schema(json_schema)};
    return p;
}

ChatOutputParser::ChatOutputParser(std::shared_ptr<const common_chat_parser_params> params, bool tools,
                                   std::vector<ToolDefinition> generic_tools)
    : params_(std::move(params)),
      generic_tools_(std::move(generic_tools)),
      holding_(!generic_tools_.empty()),
      structured_(params_ && (tools || params_->format != COMMON_CHAT_FORMAT_CONTENT_ONLY || !params_->parser.empty())) {}

std::vector<ChatDelta> ChatOutputParser::diff(const common_chat_msg& next) {
    std::vector<ChatDelta> out;
    for (const auto& d : common_chat_msg_diff::compute_diffs(msg_, next)) {
        ChatDelta cd;
        cd.content = d.content_delta;
        if (d.tool_call_index != std::string::npos) {
            cd.tool_call_index = static_cast<int>(d.tool_call_index);
            cd.tool_call_id = d.tool_call_delta.id;
            cd.tool_call_name = d.tool_call_delta.name;
            cd.tool_call_arguments = d.tool_call_delta.arguments;
        }
        if (!cd.content.empty() || cd.tool_call_index >= 0) out.push_back(std::move(cd));
    }
    msg_ = next;
    return out;
}

std::vector<ChatDelta> ChatOutputParser::feed(const std::string& added) {
    text_ += added;
    if (holding_) {
        auto first = text_.find_first_not_of(" \t\r\n");
        if (first == std::string::npos || text_[first] == '{') return {};
        holding_ = false;  // plain prose, not a tool call: release everything held so far
        msg_.content = text_;
        ChatDelta d;
        d.content = text_;
        return {d};
    }
    if (!structured_ || !generic_tools_.empty()) {
        msg_.content += added;
        if (added.empty()) return {};
        ChatDelta d;
        d.content = added;
        return {d};
    }
    common_chat_msg next;
    try {
        next = common_chat_parse(text_, /*is_partial=*/true, *params_);
    } catch (const std::exception&) {
        return {};  // not parseable yet: wait for more text
    }
    if (next.empty()) return {};
    next.set_tool_call_ids(tool_call_ids_, random_call_id);
    return diff(next);
}

std::vector<ChatDelta> ChatOutputParser::finish(std::string& content, std::vector<ToolCall>& tool_calls) {
    std::vector<ChatDelta> tail;
    tool_calls.clear();
    if (!generic_tools_.empty()) {
        if (holding_) {
            holding_ = false;
            if (auto call = parse_generic_tool_call(text_, generic_tools_)) {
                ChatDelta d;
                d.tool_call_index = 0;
                d.tool_call_id = call->id;
                d.tool_call_name = call->name;
                d.tool_call_arguments = call->arguments;
                tail.push_back(d);
                tool_calls.push_back(*call);
                content.clear();
                return tail;
            }
            msg_.content = text_;
            if (!text_.empty()) { ChatDelta d; d.content = text_; tail.push_back(d); }
        }
        content = msg_.content;
        return tail;
    }
    if (structured_) {
        try {
            auto final_msg = common_chat_parse(text_, /*is_partial=*/false, *params_);
            final_msg.set_tool_call_ids(tool_call_ids_, random_call_id);
            tail = diff(final_msg);
        } catch (const std::exception&) {
            msg_ = common_chat_msg{};
            msg_.content = text_;  // the model did not follow the format: hand back what it wrote
        }
    }
    content = msg_.content;
    for (const auto& tc : msg_.tool_calls) tool_calls.push_back({tc.id, tc.name, tc.arguments});
    return tail;
}

}  // namespace switchyard
