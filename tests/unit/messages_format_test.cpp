// wire/messages_format: Anthropic Messages requests into chat bodies, answers into Messages,
// stream events and the Anthropic error shape.
#include "wire/messages_format.h"

#include <gtest/gtest.h>

using namespace switchyard::wire;
using json = nlohmann::json;

namespace {
ApiError error_of(const json& body) {
    try {
        parse_messages_request(body);
    } catch (const ApiError& e) {
        return e;
    }
    ADD_FAILURE() << "no error for " << body.dump();
    return {};
}
std::vector<std::string> types(const std::vector<json>& evs) {
    std::vector<std::string> t;
    for (const auto& e : evs) t.push_back(e["type"]);
    return t;
}
json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }
}  // namespace

TEST(MessagesFormat, SystemBlocksToolsAndStops) {
    json body = {{"model", "auto"}, {"max_tokens", 16}, {"system", json::array({{{"type", "text"}, {"text", "Be terse."}}})},
                 {"stop_sequences", {"END"}}, {"temperature", 0}, {"metadata", {{"session_id", "s1"}}},
                 {"tools", json::array({{{"name", "get_weather"}, {"description", "d"}, {"input_schema", {{"type", "object"}}}}})},
                 {"tool_choice", {{"type", "any"}}},
                 {"messages", json::array({
                     user("weather in Paris?"),
                     {{"role", "assistant"}, {"content", json::array({{{"type", "text"}, {"text", "Let me check."}},
                                                                      {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"}, {"input", {{"city", "Paris"}}}}})}},
                     {{"role", "user"}, {"content", json::array({{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "sunny"}},
                                                                 {{"type", "text"}, {"text", "thanks"}}})}}})}};
    auto m = parse_messages_request(body);
    const json& msgs = m.chat["messages"];
    ASSERT_EQ(msgs.size(), 5u);
    EXPECT_EQ(msgs[0], (json{{"role", "system"}, {"content", "Be terse."}}));
    EXPECT_EQ(msgs[2]["content"], "Let me check.");
    EXPECT_EQ(msgs[2]["tool_calls"][0]["id"], "toolu_1");
    EXPECT_EQ(json::parse(msgs[2]["tool_calls"][0]["function"]["arguments"].get<std::string>()), (json{{"city", "Paris"}}));
    EXPECT_EQ(msgs[3], (json{{"role", "tool"}, {"tool_call_id", "toolu_1"}, {"content", "sunny"}}));
    EXPECT_EQ(msgs[4], user("thanks"));
    EXPECT_EQ(m.chat["stop"], json::array({"END"}));
    EXPECT_EQ(m.chat["max_tokens"], 16);
    EXPECT_EQ(m.chat["tool_choice"], "required");
    EXPECT_EQ(m.chat["tools"][0]["function"]["parameters"], (json{{"type", "object"}}));
    EXPECT_EQ(m.chat["metadata"]["session_id"], "s1");
    EXPECT_FALSE(m.stream);
}

TEST(MessagesFormat, ToolResultOnlyTurnAddsNoEmptyUserMessage) {
    json body = {{"model", "m"}, {"max_tokens", 5}, {"messages", json::array({user("q"),
        {{"role", "assistant"}, {"content", json::array({{{"type", "tool_use"}, {"id", "t"}, {"name", "f"}, {"input", json::object()}}})}},
        {{"role", "user"}, {"content", json::array({{{"type", "tool_result"}, {"tool_use_id", "t"}, {"is_error", true},
                                                     {"content", json::array({{{"type", "text"}, {"text", "boom"}}})}}})}}})}};
    auto m = parse_messages_request(body);
    ASSERT_EQ(m.chat["messages"].size(), 3u);
    EXPECT_EQ(m.chat["messages"][2]["content"], "Error: boom");
}

TEST(MessagesFormat, Errors) {
    EXPECT_EQ(error_of({{"model", "m"}, {"messages", json::array({user("x")})}}).param, "max_tokens");
    EXPECT_EQ(error_of({{"max_tokens", 1}, {"messages", json::array({user("x")})}}).param, "model");
    EXPECT_EQ(error_of({{"model", "m"}, {"max_tokens", 1}, {"messages", json::array()}}).param, "messages");
    EXPECT_EQ(error_of({{"model", "m"}, {"max_tokens", 1}, {"messages", json::array({{{"role", "system"}, {"content", "x"}}})}}).param, "messages[0].role");
    EXPECT_EQ(error_of({{"model", "m"}, {"max_tokens", 1}, {"messages", json::array({{{"role", "user"}, {"content", json::array({{{"type", "image"}}})}}})}}).param,
              "messages[0].content[0]");
    EXPECT_EQ(error_of({{"model", "m"}, {"max_tokens", 1}, {"messages", json::array({user("x")})}, {"tools", json::array({{{"name", "f"}}})}}).param,
              "tools[0].input_schema");
    EXPECT_EQ(error_of({{"model", "m"}, {"max_tokens", 1}, {"messages", json::array({user("x")})}, {"stop_sequences", "END"}}).param, "stop_sequences");
    EXPECT_NO_THROW(parse_count_tokens_request({{"model", "m"}, {"messages", json::array({user("x")})}}));
}

TEST(MessagesFormat, MessageObjectAndStopReasons) {
    ChatAnswer a;
    a.content = "Hi";
    a.finish_reason = "stop";
    a.prompt_tokens = 4;
    a.completion_tokens = 2;
    json m = message_object("msg_1", "gemma", a, "");
    EXPECT_EQ(m["type"], "message");
    EXPECT_EQ(m["content"], json::array({{{"type", "text"}, {"text", "Hi"}}}));
    EXPECT_EQ(m["stop_reason"], "end_turn");
    EXPECT_TRUE(m["stop_sequence"].is_null());
    EXPECT_EQ(m["usage"]["input_tokens"], 4);
    a.cached_tokens = 3;   // as Anthropic counts: cache reads are not part of input_tokens
    EXPECT_EQ(message_object("msg_1", "g", a, "")["usage"]["input_tokens"], 1);
    EXPECT_EQ(message_object("msg_1", "g", a, "")["usage"]["cache_read_input_tokens"], 3);
    a.cached_tokens = 0;
    EXPECT_EQ(message_object("msg_1", "g", a, "END")["stop_reason"], "stop_sequence");
    EXPECT_EQ(message_object("msg_1", "g", a, "END")["stop_sequence"], "END");
    a.finish_reason = "length";
    EXPECT_EQ(message_object("msg_1", "g", a, "")["stop_reason"], "max_tokens");
    a.content.clear();
    a.finish_reason = "tool_calls";
    a.tool_calls = json::array({{{"id", "call_1"}, {"function", {{"name", "f"}, {"arguments", "{\"x\":2}"}}}}});
    json t = message_object("msg_1", "g", a, "");
    EXPECT_EQ(t["stop_reason"], "tool_use");
    EXPECT_EQ(t["content"], json::array({{{"type", "tool_use"}, {"id", "call_1"}, {"name", "f"}, {"input", {{"x", 2}}}}}));
}

TEST(MessagesFormat, ErrorShape) {
    EXPECT_EQ(anthropic_error(400, "bad"), (json{{"type", "error"}, {"error", {{"type", "invalid_request_error"}, {"message", "bad"}}}}));
    EXPECT_EQ(anthropic_error(401, "x")["error"]["type"], "authentication_error");
    EXPECT_EQ(anthropic_error(404, "x")["error"]["type"], "not_found_error");
    EXPECT_EQ(anthropic_error(429, "x")["error"]["type"], "rate_limit_error");
    EXPECT_EQ(anthropic_error(503, "x")["error"]["type"], "overloaded_error");
    EXPECT_EQ(anthropic_error(500, "x")["error"]["type"], "api_error");
}

TEST(MessagesFormat, StreamEvents) {
    MessagesStream s("msg_abc", "gemma");
    EXPECT_EQ(types(s.start()), (std::vector<std::string>{"message_start", "ping"}));
    auto a = s.feed({{"choices", json::array({{{"delta", {{"content", "Hi"}}}}})}});
    EXPECT_EQ(types(a), (std::vector<std::string>{"content_block_start", "content_block_delta"}));
    EXPECT_EQ(a[1]["delta"], (json{{"type", "text_delta"}, {"text", "Hi"}}));
    json call = {{"index", 0}, {"id", "call_1"}, {"function", {{"name", "f"}, {"arguments", "{\"x\":"}}}};
    auto b = s.feed({{"choices", json::array({{{"delta", {{"tool_calls", json::array({call})}}}}})}});
    EXPECT_EQ(types(b), (std::vector<std::string>{"content_block_stop", "content_block_start", "content_block_delta"}));
    EXPECT_EQ(b[1]["index"], 1);
    EXPECT_EQ(b[1]["content_block"]["type"], "tool_use");
    EXPECT_EQ(b[2]["delta"]["type"], "input_json_delta");
    ChatAnswer fin;
    fin.finish_reason = "tool_calls";
    fin.tool_calls = json::array({call});
    fin.completion_tokens = 6;
    auto c = s.finish(fin, "");
    EXPECT_EQ(types(c), (std::vector<std::string>{"content_block_stop", "message_delta", "message_stop"}));
    EXPECT_EQ(c[1]["delta"]["stop_reason"], "tool_use");
    EXPECT_EQ(c[1]["usage"]["output_tokens"], 6);
    EXPECT_EQ(types(s.fail(529, "busy")), (std::vector<std::string>{"error"}));
}
