// wire/anthropic_upstream: chat bodies into Anthropic Messages requests, Messages and their stream
// events back into chat completions and chunks, Anthropic errors into OpenAI error objects.
// (End to end against a real Messages server: tests/e2e/test_anthropic_provider.py.)
#include "wire/anthropic_upstream.h"

#include <gtest/gtest.h>

using namespace switchyard::wire;
using json = nlohmann::json;

TEST(AnthropicUpstream, ChatRequestBecomesMessagesRequest) {
    json chat = {{"model", "claude"}, {"temperature", 1.5}, {"top_p", 0.9}, {"stop", "END"}, {"stream", true}, {"user", "u1"},
                 {"seed", 7}, {"logprobs", true}, {"parallel_tool_calls", false}, {"tool_choice", "required"},
                 {"tools", json::array({{{"type", "function"}, {"function", {{"name", "get_weather"}, {"description", "d"},
                                                                               {"parameters", {{"type", "object"}}}}}}})},
                 {"messages", json::array({
                     {{"role", "system"}, {"content", "Be terse."}},
                     {{"role", "user"}, {"content", "weather?"}},
                     {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "in Paris"}},
                                                                 {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,QUJD"}}}}})}},
                     {{"role", "assistant"}, {"content", nullptr},
                      {"tool_calls", json::array({{{"id", "call_1"}, {"type", "function"},
                                                   {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}}})}},
                     {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
                     {{"role", "user"}, {"content", "thanks"}}})}};
    std::string why;
    auto out = chat_to_anthropic(chat, why);
    ASSERT_TRUE(out) << why;
    const json& m = *out;
    EXPECT_EQ(m["model"], "claude");
    EXPECT_EQ(m["max_tokens"], kAnthropicDefaultMaxTokens) << "Messages requires max_tokens";
    EXPECT_EQ(m["system"], "Be terse.");
    EXPECT_EQ(m["temperature"], 1.0) << "clamped to Anthropic's range";
    EXPECT_EQ(m["stop_sequences"], json::array({"END"}));
    EXPECT_EQ(m["stream"], true);
    EXPECT_EQ(m["metadata"], (json{{"user_id", "u1"}}));
    EXPECT_FALSE(m.contains("seed") || m.contains("logprobs")) << "fields Anthropic refuses are not sent";
    EXPECT_EQ(m["tools"][0], (json{{"name", "get_weather"}, {"description", "d"}, {"input_schema", {{"type", "object"}}}}));
    EXPECT_EQ(m["tool_choice"], (json{{"type", "any"}, {"disable_parallel_tool_use", true}}));
    const json& msgs = m["messages"];
    ASSERT_EQ(msgs.size(), 3u) << msgs.dump();
    // Two user messages in a row are one turn.
    EXPECT_EQ(msgs[0]["role"], "user");
    ASSERT_EQ(msgs[0]["content"].size(), 3u);
    EXPECT_EQ(msgs[0]["content"][2]["source"], (json{{"type", "base64"}, {"media_type", "image/png"}, {"data", "QUJD"}}));
    EXPECT_EQ(msgs[1]["content"], json::array({{{"type", "tool_use"}, {"id", "call_1"}, {"name", "get_weather"}, {"input", {{"city", "Paris"}}}}}));
    // The tool result and the following user text share a user turn, the result first.
    EXPECT_EQ(msgs[2]["content"][0], (json{{"type", "tool_result"}, {"tool_use_id", "call_1"}, {"content", "sunny"}}));
    EXPECT_EQ(msgs[2]["content"][1], (json{{"type", "text"}, {"text", "thanks"}}));
}

TEST(AnthropicUpstream, WhatMessagesCannotExpressIsRefused) {
    std::string why;
    json base = {{"model", "m"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};
    json j = base;
    j["response_format"] = {{"type", "json_object"}};
    EXPECT_FALSE(chat_to_anthropic(j, why));
    EXPECT_NE(why.find("response_format"), std::string::npos);
    j = base;
    j["n"] = 2;
    EXPECT_FALSE(chat_to_anthropic(j, why));
    j = base;
    j["messages"] = json::array({{{"role", "system"}, {"content", "only a system prompt"}}});
    EXPECT_FALSE(chat_to_anthropic(j, why));
    j = base;
    j["messages"][0]["content"] = json::array({{{"type", "input_audio"}}});
    EXPECT_FALSE(chat_to_anthropic(j, why));
    EXPECT_NE(why.find("input_audio"), std::string::npos);
    j = base;
    j["max_tokens"] = 12;
    j["response_format"] = {{"type", "text"}};
    ASSERT_TRUE(chat_to_anthropic(j, why));
    EXPECT_EQ((*chat_to_anthropic(j, why))["max_tokens"], 12);
}

TEST(AnthropicUpstream, MessageBecomesChatCompletion) {
    json msg = {{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"}, {"model", "claude-x"},
                {"content", json::array({{{"type", "thinking"}, {"thinking", "hmm"}}, {{"type", "text"}, {"text", "Let me look."}},
                                         {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"}, {"input", {{"city", "Oslo"}}}}})},
                {"stop_reason", "tool_use"}, {"stop_sequence", nullptr},
                {"usage", {{"input_tokens", 10}, {"output_tokens", 5}, {"cache_read_input_tokens", 4}, {"cache_creation_input_tokens", 1}}}};
    std::string stop, why;
    auto c = anthropic_to_completion(msg, stop, why);
    ASSERT_TRUE(c) << why;
    EXPECT_EQ((*c)["object"], "chat.completion");
    EXPECT_EQ((*c)["model"], "claude-x");
    const json& choice = (*c)["choices"][0];
    EXPECT_EQ(choice["finish_reason"], "tool_calls");
    EXPECT_EQ(choice["message"]["content"], "Let me look.") << "thinking is not part of the answer";
    EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Oslo\"}");
    EXPECT_EQ((*c)["usage"]["prompt_tokens"], 15) << "Anthropic's input_tokens leaves out cached tokens";
    EXPECT_EQ((*c)["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
    EXPECT_EQ((*c)["usage"]["completion_tokens"], 5);
    EXPECT_TRUE(stop.empty());
    msg["stop_reason"] = "stop_sequence";
    msg["stop_sequence"] = "END";
    c = anthropic_to_completion(msg, stop, why);
    EXPECT_EQ(stop, "END");
    EXPECT_EQ((*c)["choices"][0]["finish_reason"], "stop");
    EXPECT_FALSE(anthropic_to_completion(json{{"type", "error"}}, stop, why));
    EXPECT_EQ(finish_reason_of("max_tokens"), "length");
    EXPECT_EQ(finish_reason_of("refusal"), "content_filter");
}

TEST(AnthropicUpstream, ErrorsBecomeOpenAIErrorObjects) {
    json e = anthropic_error_to_openai(json{{"type", "error"}, {"error", {{"type", "not_found_error"}, {"message", "model: x"}}}});
    EXPECT_EQ(e, (json{{"message", "model: x"}, {"type", "invalid_request_error"}, {"code", "not_found_error"}, {"param", nullptr}}));
    EXPECT_EQ(anthropic_error_to_openai(json{{"type", "overloaded_error"}, {"message", "busy"}})["type"], "server_error");
    EXPECT_TRUE(anthropic_error_to_openai(json{{"detail", "x"}}).is_null());
}

TEST(AnthropicUpstream, StreamEventsBecomeChunks) {
    AnthropicStreamDecoder d;
    std::vector<json> all;
    auto feed = [&](const json& ev) { for (auto& c : d.feed(ev)) all.push_back(c); };
    feed({{"type", "message_start"}, {"message", {{"id", "msg_9"}, {"model", "claude-x"}, {"usage", {{"input_tokens", 7}, {"output_tokens", 1}}}}}});
    feed({{"type", "ping"}});
    feed({{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
    feed({{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", "Hi"}}}});
    feed({{"type", "content_block_stop"}, {"index", 0}});
    feed({{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "tool_use"}, {"id", "toolu_2"}, {"name", "f"}, {"input", json::object()}}}});
    feed({{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"a\":"}}}});
    feed({{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "1}"}}}});
    feed({{"type", "message_delta"}, {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}}, {"usage", {{"output_tokens", 9}}}});
    EXPECT_FALSE(d.done());
    feed({{"type", "message_stop"}});
    EXPECT_TRUE(d.done());
    EXPECT_FALSE(d.failed());
    ASSERT_EQ(all.size(), 7u);
    for (const auto& c : all) {
        EXPECT_EQ(c["object"], "chat.completion.chunk");
        EXPECT_EQ(c["id"], "msg_9");
        EXPECT_EQ(c["model"], "claude-x");
    }
    EXPECT_EQ(all[0]["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(all[1]["choices"][0]["delta"]["content"], "Hi");
    EXPECT_EQ(all[2]["choices"][0]["delta"]["tool_calls"][0],
              (json{{"index", 0}, {"id", "toolu_2"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", ""}}}}));
    EXPECT_EQ(all[3]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\":");
    EXPECT_EQ(all[4]["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
    EXPECT_EQ(all[5]["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_TRUE(all[6]["choices"].empty());
    EXPECT_EQ(all[6]["usage"]["prompt_tokens"], 7);
    EXPECT_EQ(all[6]["usage"]["completion_tokens"], 9);

    AnthropicStreamDecoder e;
    e.feed({{"type", "message_start"}, {"message", {{"id", "m"}}}});
    e.feed({{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}});
    EXPECT_TRUE(e.failed());
    EXPECT_EQ(anthropic_error_to_openai(e.error())["message"], "Overloaded");
    // Out-of-range block indexes are ignored, not allocated.
    EXPECT_TRUE(e.feed({{"type", "content_block_start"}, {"index", 1 << 30}, {"content_block", {{"type", "tool_use"}}}}).empty());
}
