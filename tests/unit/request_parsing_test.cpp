#include "wire/request_parsing.h"

#include <gtest/gtest.h>

using namespace switchyard;
using namespace switchyard::wire;

namespace {
ApiError error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ApiError& e) {
        return e;
    }
    return ApiError::make(0, "", "", "(no error)");
}
ChatRequest chat(const std::string& body) { return parse_chat_request(parse_body(body), SamplingDefaults{}); }
const std::string kMsgs = R"("model":"m","messages":[{"role":"user","content":"hi"}])";
}  // namespace

TEST(RequestParsing, MalformedJsonIs400InvalidJson) {
    auto e = error_of([] { parse_body("{\"model\": "); });
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "invalid_json");
    EXPECT_NE(e.message.find("could not parse the JSON body"), std::string::npos);
    EXPECT_EQ(error_of([] { parse_body("[1,2]"); }).code, "invalid_json");
}

TEST(RequestParsing, ChatDefaultsAndOverrides) {
    SamplingDefaults d;
    d.max_tokens = 99;
    d.temperature = 0.3f;
    auto r = parse_chat_request(parse_body(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
        {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
        "top_p":0.5,"seed":7,"stop":["x","y"],"stream":true,"stream_options":{"include_usage":true}})"), d);
    EXPECT_EQ(r.model, "m");
    ASSERT_EQ(r.input.messages.size(), 2u);
    EXPECT_EQ(r.input.messages[1].content, "a\nb");
    EXPECT_EQ(r.sampling.max_tokens, 99);
    EXPECT_FLOAT_EQ(r.sampling.temperature, 0.3f);
    EXPECT_FLOAT_EQ(r.sampling.top_p, 0.5f);
    EXPECT_EQ(*r.sampling.seed, 7u);
    EXPECT_EQ(r.sampling.stop.size(), 2u);
    EXPECT_TRUE(r.stream);
    EXPECT_TRUE(r.include_usage);
    EXPECT_EQ(r.sampling.top_logprobs, -1);
    EXPECT_EQ(chat("{" + kMsgs + R"(,"max_completion_tokens":5})").sampling.max_tokens, 5);
}

TEST(RequestParsing, ChatValidationNamesTheField) {
    auto e = error_of([] { chat(R"({"messages":[{"role":"user","content":"hi"}]})"); });
    EXPECT_EQ(e.param, "model");
    e = error_of([] { chat(R"({"model":"m","messages":[]})"); });
    EXPECT_EQ(e.param, "messages");
    e = error_of([] { chat(R"({"model":"m","messages":[{"role":"wizard","content":"hi"}]})"); });
    EXPECT_EQ(e.param, "messages[0].role");
    EXPECT_NE(e.message.find("'wizard'"), std::string::npos);
    e = error_of([&] { chat("{" + kMsgs + R"(,"temperature":3})"); });
    EXPECT_EQ(e.param, "temperature");
    EXPECT_NE(e.message.find("between 0 and 2, got 3"), std::string::npos);
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"max_tokens":0})"); }).param, "max_tokens");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"top_logprobs":2})"); }).param, "top_logprobs");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"n":2})"); }).param, "n");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"stream_options":{"include_usage":true}})"); }).param, "stream_options");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"stop":5})"); }).param, "stop");
    EXPECT_EQ(error_of([] { chat(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})"); }).param,
              "messages[0].content");
    EXPECT_EQ(error_of([] { chat(R"({"model":"m","messages":[{"role":"tool","content":"42"}]})"); }).param, "messages[0].tool_call_id");
}

TEST(RequestParsing, ResponseFormat) {
    EXPECT_EQ(chat("{" + kMsgs + R"(,"response_format":{"type":"json_object"}})").input.json_schema, R"({"type":"object"})");
    auto r = chat("{" + kMsgs + R"(,"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}})");
    EXPECT_NE(r.input.json_schema.find("\"integer\""), std::string::npos);
    EXPECT_EQ(chat("{" + kMsgs + R"(,"response_format":{"type":"text"}})").input.json_schema, "");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"response_format":{"type":"yaml"}})"); }).param, "response_format.type");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"response_format":{"type":"json_schema"}})"); }).param, "response_format.json_schema");
}

TEST(RequestParsing, ToolsAndToolChoice) {
    std::string tools = R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},
                                   {"type":"function","function":{"name":"get_time"}}])";
    auto r = chat("{" + kMsgs + "," + tools + "}");
    EXPECT_EQ(r.input.tools.size(), 2u);
    EXPECT_EQ(r.input.tool_choice, "auto");
    r = chat("{" + kMsgs + "," + tools + R"(,"tool_choice":{"type":"function","function":{"name":"get_time"}}})");
    ASSERT_EQ(r.input.tools.size(), 1u);
    EXPECT_EQ(r.input.tools[0].name, "get_time");
    EXPECT_EQ(r.input.tool_choice, "required");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + "," + tools + R"(,"tool_choice":{"type":"function","function":{"name":"nope"}}})"); }).param, "tool_choice");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"tool_choice":"required"})"); }).param, "tool_choice");
    EXPECT_EQ(error_of([&] { chat("{" + kMsgs + R"(,"tools":[{"type":"function"}]})"); }).param, "tools[0]");
    auto a = chat(R"({"model":"m","messages":[{"role":"user","content":"w?"},{"role":"assistant","content":null,
        "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"sunny"}]})");
    ASSERT_EQ(a.input.messages[1].tool_calls.size(), 1u);
    EXPECT_EQ(a.input.messages[1].tool_calls[0].arguments, "{\"x\":1}");
    EXPECT_EQ(a.input.messages[2].tool_call_id, "c1");
}

TEST(RequestParsing, CompletionsAndEmbeddings) {
    auto c = parse_completion_request(parse_body(R"({"model":"m","prompt":["hello"],"logprobs":2,"echo":true})"), SamplingDefaults{});
    EXPECT_EQ(c.prompt, "hello");
    EXPECT_EQ(c.sampling.top_logprobs, 2);
    EXPECT_TRUE(c.echo);
    EXPECT_EQ(error_of([] { parse_completion_request(parse_body(R"({"model":"m","prompt":["a","b"]})"), SamplingDefaults{}); }).param, "prompt");
    auto e = parse_embedding_request(parse_body(R"({"model":"e","input":["a","b"],"encoding_format":"base64"})"));
    EXPECT_EQ(e.inputs.size(), 2u);
    EXPECT_TRUE(e.base64);
    EXPECT_EQ(error_of([] { parse_embedding_request(parse_body(R"({"model":"e","input":[1,2]})")); }).param, "input");
    EXPECT_EQ(error_of([] { parse_embedding_request(parse_body(R"({"model":"e","input":"x","encoding_format":"hex"})")); }).param, "encoding_format");
    EXPECT_EQ(error_of([] { parse_embedding_request(parse_body(R"({"model":"e","input":""})")); }).param, "input");
}

TEST(ErrorMapping, EngineErrorsGetOpenAIStatusAndShape) {
    auto m = ApiError::from_engine(EngineError(EngineErrorKind::unknown_model, "The model 'x' does not exist", "model"));
    EXPECT_EQ(m.status, 404);
    EXPECT_EQ(m.code, "model_not_found");
    auto body = m.body();
    EXPECT_EQ(body["error"]["message"], "The model 'x' does not exist");
    EXPECT_EQ(body["error"]["type"], "not_found_error");
    EXPECT_EQ(body["error"]["param"], "model");
    EXPECT_EQ(ApiError::from_engine(EngineError(EngineErrorKind::context_overflow, "too long")).status, 400);
    EXPECT_EQ(ApiError::from_engine(EngineError(EngineErrorKind::context_overflow, "too long")).code, "context_length_exceeded");
    auto q = ApiError::from_engine(EngineError(EngineErrorKind::queue_full, "busy"));
    EXPECT_EQ(q.status, 429);
    EXPECT_GT(q.retry_after, 0);
    EXPECT_EQ(ApiError::from_engine(EngineError(EngineErrorKind::overloaded, "x")).status, 503);
    EXPECT_EQ(ApiError::from_engine(EngineError(EngineErrorKind::model_unavailable, "x")).status, 500);
    EXPECT_TRUE(ApiError::bad_request("x").body()["error"]["param"].is_null());
}
