// RemoteProvider with `api: anthropic`, against fault_upstream.py's Messages endpoint, which is a
// FAKE FOR FAULT INJECTION ONLY: the Anthropic headers it receives, a 529 overload that is retried,
// an error event mid-stream, a request the format cannot carry. The happy paths run against a real
// Messages server (another Switchyard) in tests/e2e/test_anthropic_provider.py.
#include "remote_provider_fixture.h"

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
using namespace switchyard::providers;
using switchyard::RemoteProviderSpec;
using namespace std::chrono_literals;
using json = nlohmann::json;

class AnthropicProviderTest : public fault_upstream::ProviderTest {
protected:
    RemoteProviderSpec config() { return upstream_config("claude", RemoteProviderSpec::Api::anthropic); }
};

json ask(const std::string& model) { return {{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}}; }

TEST_F(AnthropicProviderTest, SendsTheAnthropicHeadersToTheMessagesEndpoint) {
    auto cfg = config();
    cfg.api_key = "sk-ant-test";
    RemoteProvider p(io_.get_executor(), cfg);
    json req = ask("echo-headers");
    auto r = run(p.chat(req, nullptr));
    ASSERT_EQ(r.status, 200) << r.error;
    json headers = json::parse(r.content);
    EXPECT_EQ(headers["x-api-key"], "sk-ant-test");
    EXPECT_EQ(headers["anthropic-version"], "2023-06-01");
    EXPECT_FALSE(headers.contains("authorization")) << "the key goes in x-api-key only";
    auto seen = fault_upstream::get_json(upstream_->port(), "/__requests?detail=1");
    EXPECT_EQ(seen.back()["path"], "/v1/messages");
    EXPECT_EQ(seen.back()["body"]["max_tokens"], 4096) << "Messages requires max_tokens";
    EXPECT_EQ(r.response["object"], "chat.completion");
    EXPECT_EQ(r.prompt_tokens, 5);
    EXPECT_EQ(r.completion_tokens, 3);
}

TEST_F(AnthropicProviderTest, OverloadIsRetried) {
    RemoteProvider p(io_.get_executor(), config());
    json req = ask("overloaded:2#retry");
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.retries, 2);
    EXPECT_EQ(r.content, "hello from upstream");
}

TEST_F(AnthropicProviderTest, PersistentOverloadIsAnOpenAIErrorWithTheAnthropicType) {
    auto cfg = config();
    cfg.max_retries = 0;
    RemoteProvider p(io_.get_executor(), cfg);
    json req = ask("overloaded:5#fail");
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 529);
    EXPECT_NE(r.error.find("upstream 'claude' returned HTTP 529: Overloaded"), std::string::npos) << r.error;
    EXPECT_EQ(r.error_body["type"], "server_error");
    EXPECT_EQ(r.error_body["code"], "overloaded_error");
}

TEST_F(AnthropicProviderTest, StreamedEventsBecomeChunks) {
    RemoteProvider p(io_.get_executor(), config());
    json req = ask("ok#stream");
    req["stream"] = true;
    std::vector<json> chunks;
    ChunkSink sink = [&](json& c) -> asio::awaitable<bool> { chunks.push_back(c); co_return true; };
    auto r = run(p.chat(req, &sink));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.content, "hello from upstream");
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_EQ(r.prompt_tokens, 5);
    EXPECT_EQ(r.completion_tokens, 3);
    ASSERT_GE(chunks.size(), 3u);
    for (const auto& c : chunks) {
        EXPECT_EQ(c["object"], "chat.completion.chunk");
        EXPECT_FALSE(c.contains("usage")) << "usage was not asked for by the client";
    }
}

TEST_F(AnthropicProviderTest, ErrorEventMidStream) {
    RemoteProvider p(io_.get_executor(), config());
    json req = ask("error-event");
    req["stream"] = true;
    int relayed = 0;
    ChunkSink sink = [&](json&) -> asio::awaitable<bool> { ++relayed; co_return true; };
    auto r = run(p.chat(req, &sink));
    EXPECT_EQ(r.status, 502);
    EXPECT_NE(r.error.find("reported an error mid-stream: injected mid-stream overload"), std::string::npos) << r.error;
    EXPECT_EQ(r.error_body["code"], "overloaded_error");
    EXPECT_TRUE(r.streamed_to_client) << "the text before the error reached the client, so it is not retried";
    EXPECT_EQ(r.content, "hello");
    EXPECT_GE(relayed, 2);
}

TEST_F(AnthropicProviderTest, WhatMessagesCannotCarryIsA400BeforeAnyCall) {
    RemoteProvider p(io_.get_executor(), config());
    json req = ask("ok#never");
    req["response_format"] = {{"type", "json_object"}};
    auto r = run(p.chat(req, nullptr));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_body["code"], "unsupported_by_provider");
    EXPECT_NE(r.error.find("response_format"), std::string::npos);
    for (const auto& seen : fault_upstream::get_json(upstream_->port(), "/__requests"))
        EXPECT_NE(seen.value("model", ""), "ok#never");
}

}  // namespace
