// wire/responses_format: Responses requests into chat bodies, answers into Responses objects
// and stream events, and the errors for what the server cannot do.
#include "wire/responses_format.h"

#include <gtest/gtest.h>

using namespace switchyard::wire;
using json = nlohmann::json;

namespace {

ApiError error_of(const json& body) {
    try {
        parse_responses_request(body);
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

}  // namespace

TEST(ResponsesFormat, StringInputAndInstructions) {
    auto r = parse_responses_request({{"model", "auto"}, {"input", "hi"}, {"instructions", "Be brief."}, {"max_output_tokens", 9},
                                      {"temperature", 0}});
    json chat = responses_chat_body(r, json::array({{{"role", "user"}, {"content", "earlier"}}, {{"role", "assistant"}, {"content", "ok"}}}));
    EXPECT_EQ(chat["model"], "auto");
    EXPECT_EQ(chat["max_tokens"], 9);
    EXPECT_EQ(chat["temperature"], 0);
    ASSERT_EQ(chat["messages"].size(), 4u);
    EXPECT_EQ(chat["messages"][0], (json{{"role", "system"}, {"content", "Be brief."}}));   // instructions first, not inherited
    EXPECT_EQ(chat["messages"][1]["content"], "earlier");
    EXPECT_EQ(chat["messages"][3], (json{{"role", "user"}, {"content", "hi"}}));
    EXPECT_FALSE(chat.contains("stream"));
    EXPECT_TRUE(r.store);
}

TEST(ResponsesFormat, ItemsWithFunctionCallRoundTrip) {
    json input = json::array({
        {{"role", "developer"}, {"content", "sys"}},
        {{"type", "message"}, {"role", "user"}, {"content", json::array({{{"type", "input_text"}, {"text", "weather?"}}})}},
        {{"type", "function_call"}, {"call_id", "call_1"}, {"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}},
        {{"type", "function_call"}, {"call_id", "call_2"}, {"name", "get_time"}, {"arguments", "{}"}},
        {{"type", "function_call_output"}, {"call_id", "call_1"}, {"output", "sunny"}},
        {{"type", "reasoning"}, {"id", "rs_1"}, {"summary", json::array()}},
    });
    auto r = parse_responses_request({{"model", "m"}, {"input", input},
                                      {"tools", json::array({{{"type", "function"}, {"name", "get_weather"}, {"parameters", {{"type", "object"}}}}})},
                                      {"tool_choice", {{"type", "function"}, {"name", "get_weather"}}}});
    ASSERT_EQ(r.messages.size(), 4u);
    EXPECT_EQ(r.messages[0]["role"], "system");
    EXPECT_EQ(r.messages[1]["content"], "weather?");
    EXPECT_EQ(r.messages[2]["role"], "assistant");
    ASSERT_EQ(r.messages[2]["tool_calls"].size(), 2u) << "consecutive calls are one assistant turn";
    EXPECT_EQ(r.messages[2]["tool_calls"][0]["function"]["name"], "get_weather");
    EXPECT_EQ(r.messages[3], (json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}}));
    EXPECT_EQ(r.chat["tools"][0]["function"]["name"], "get_weather");
    EXPECT_EQ(r.chat["tool_choice"]["function"]["name"], "get_weather");
}

TEST(ResponsesFormat, JsonSchemaFormat) {
    json schema = {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}};
    auto r = parse_responses_request({{"model", "m"}, {"input", "x"},
                                      {"text", {{"format", {{"type", "json_schema"}, {"name", "person"}, {"schema", schema}, {"strict", true}}}}}});
    EXPECT_EQ(r.chat["response_format"]["type"], "json_schema");
    EXPECT_EQ(r.chat["response_format"]["json_schema"]["schema"], schema);
    EXPECT_EQ(r.chat["response_format"]["json_schema"]["name"], "person");
    EXPECT_EQ(r.echo["text"]["format"]["name"], "person");
}

TEST(ResponsesFormat, Errors) {
    EXPECT_EQ(error_of({{"input", "x"}}).param, "model");
    EXPECT_EQ(error_of({{"model", "m"}}).param, "input");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", 5}}).param, "input");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", json::array({{{"type", "input_image"}}})}}).param, "input[0].type");
    auto img = error_of({{"model", "m"}, {"input", json::array({{{"role", "user"}, {"content", json::array({{{"type", "input_image"}, {"image_url", "x"}}})}}})}});
    EXPECT_EQ(img.param, "input[0].content[0]");
    EXPECT_NE(img.message.find("text only"), std::string::npos);
    EXPECT_EQ(error_of({{"model", "m"}, {"input", "x"}, {"tools", json::array({{{"type", "web_search"}}})}}).param, "tools[0].type");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", "x"}, {"text", {{"format", {{"type", "json_schema"}}}}}}).param, "text.format.schema");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", "x"}, {"background", true}}).param, "background");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", "x"}, {"max_output_tokens", 0}}).param, "max_output_tokens");
    EXPECT_EQ(error_of({{"model", "m"}, {"input", json::array({{{"type", "function_call_output"}, {"output", "x"}}})}}).param, "input[0].call_id");
    // previous_response_id alone is a valid continuation
    EXPECT_NO_THROW(parse_responses_request({{"model", "m"}, {"previous_response_id", "resp_1"}}));
}

TEST(ResponsesFormat, OutputAndObject) {
    auto r = parse_responses_request({{"model", "m"}, {"input", "x"}, {"store", false}, {"metadata", {{"session_id", "s"}}}});
    ResponseIds ids{"resp_abc", "msg_abc", {}};
    ChatAnswer a;
    a.content = "Hello";
    a.tool_calls = json::array({{{"id", "call_9"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{\"a\":1}"}}}}});
    a.finish_reason = "tool_calls";
    a.prompt_tokens = 5;
    a.completion_tokens = 7;
    json out = response_output(a, ids);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0]["type"], "message");
    EXPECT_EQ(out[0]["content"][0]["type"], "output_text");
    EXPECT_EQ(out[0]["content"][0]["text"], "Hello");
    EXPECT_EQ(out[1]["type"], "function_call");
    EXPECT_EQ(out[1]["call_id"], "call_9");
    EXPECT_EQ(out[1]["arguments"], "{\"a\":1}");
    json resp = response_object(r, "gemma", 1, out, &a, "completed");
    EXPECT_EQ(resp["object"], "response");
    EXPECT_EQ(resp["store"], false);
    EXPECT_EQ(resp["metadata"]["session_id"], "s");
    EXPECT_EQ(resp["usage"]["input_tokens"], 5);
    EXPECT_EQ(resp["usage"]["total_tokens"], 12);
    a.finish_reason = "length";
    EXPECT_EQ(response_object(r, "g", 1, out, &a, "incomplete")["incomplete_details"]["reason"], "max_output_tokens");
}

TEST(ResponsesFormat, StreamEventsForTextThenToolCall) {
    auto r = parse_responses_request({{"model", "m"}, {"input", "x"}});
    ResponseIds ids{"resp_abc", "msg_abc", {}};
    ResponsesStream s(r, ids, "gemma", 1);
    EXPECT_EQ(types(s.start()), (std::vector<std::string>{"response.created", "response.in_progress"}));
    auto a1 = s.feed({{"choices", json::array({{{"delta", {{"role", "assistant"}, {"content", ""}}}}})}});
    EXPECT_TRUE(a1.empty());
    auto a2 = s.feed({{"choices", json::array({{{"delta", {{"content", "Hel"}}}}})}});
    EXPECT_EQ(types(a2), (std::vector<std::string>{"response.output_item.added", "response.content_part.added", "response.output_text.delta"}));
    auto a3 = s.feed({{"choices", json::array({{{"delta", {{"content", "lo"}}}}})}});
    EXPECT_EQ(types(a3), (std::vector<std::string>{"response.output_text.delta"}));
    json call = {{"index", 0}, {"id", "call_1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{\"a\":"}}}};
    auto a4 = s.feed({{"choices", json::array({{{"delta", {{"tool_calls", json::array({call})}}}}})}});
    EXPECT_EQ(types(a4), (std::vector<std::string>{"response.output_text.done", "response.content_part.done", "response.output_item.done",
                                                   "response.output_item.added", "response.function_call_arguments.delta"}));
    EXPECT_EQ(a4[0]["text"], "Hello");
    json more = {{"index", 0}, {"function", {{"arguments", "1}"}}}};
    s.feed({{"choices", json::array({{{"delta", {{"tool_calls", json::array({more})}}}}})}});
    ChatAnswer a;
    a.finish_reason = "tool_calls";
    a.prompt_tokens = 3;
    a.completion_tokens = 4;
    auto end = s.finish(a);
    EXPECT_EQ(types(end), (std::vector<std::string>{"response.function_call_arguments.done", "response.output_item.done", "response.completed"}));
    EXPECT_EQ(end[0]["arguments"], "{\"a\":1}");
    const json& resp = end.back()["response"];
    EXPECT_EQ(resp["id"], "resp_abc");
    ASSERT_EQ(resp["output"].size(), 2u);
    EXPECT_EQ(resp["output"][1]["call_id"], "call_1");
    EXPECT_EQ(resp["usage"]["output_tokens"], 4);
    // sequence numbers count up from 0 across all events
    EXPECT_EQ(end.back()["sequence_number"], 14);
    EXPECT_EQ(sse_typed_event(end.back()).rfind("event: response.completed\ndata: {", 0), 0u);
}

TEST(ResponsesFormat, StreamOfNothingHasAnEmptyMessage) {
    auto r = parse_responses_request({{"model", "m"}, {"input", "x"}});
    ResponseIds ids{"resp_abc", "msg_abc", {}};
    ResponsesStream s(r, ids, "gemma", 1);
    s.start();
    ChatAnswer a;
    a.finish_reason = "stop";
    auto end = s.finish(a);
    EXPECT_EQ(types(end), (std::vector<std::string>{"response.output_item.added", "response.content_part.added", "response.output_text.done",
                                                    "response.content_part.done", "response.output_item.done", "response.completed"}));
    EXPECT_EQ(end.back()["response"]["output"][0]["content"][0]["text"], "");
}
