// Regression tests for what the fuzzers (fuzz/) and sanitizers found; SECURITY.md lists each
// finding. Every test here failed (crash, wrong exception or undefined behaviour) before its fix.
#include "wire/request_parsing.h"
#include "config/config.h"
#include "pipeline/definition.h"
#include "pipeline/node_type.h"
#include "pipeline/text_template.h"
#include "providers/openai_stream.h"
#include "router/pii.h"

#include <gtest/gtest.h>

#include <thread>

using namespace switchyard;

// 1e400 does not fit a double: nlohmann throws out_of_range, not parse_error, and the request
// ended as a 500 internal_error instead of a 400.
TEST(FuzzRegressions, NumberOverflowInBodyIs400) {
    for (const char* body : {"3e66666", R"({"model":"m","max_tokens":1e400})"}) {
        try {
            wire::parse_body(body);
            FAIL() << body;
        } catch (const wire::ApiError& e) {
            EXPECT_EQ(e.status, 400);
            EXPECT_EQ(e.code, "invalid_json");
        }
    }
}

// 2^64-1 read as long long wrapped to -1, so the message said "got -1".
TEST(FuzzRegressions, HugeUnsignedIntegerIsOutOfRangeWithItsOwnValue) {
    auto body = wire::parse_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":18446744073709551615})");
    try {
        wire::parse_chat_request(body, SamplingDefaults{});
        FAIL();
    } catch (const wire::ApiError& e) {
        EXPECT_EQ(e.param, "max_tokens");
        EXPECT_NE(e.message.find("18446744073709551615"), std::string::npos) << e.message;
    }
}

// json::value("type", "") on a non-string threw json::type_error: a 500 instead of a 400.
TEST(FuzzRegressions, NonStringToolFieldsAre400NamingTheField) {
    const std::string msgs = R"("model":"m","messages":[{"role":"user","content":"hi"})";
    const std::string tool = R"({"type":"function","function":{"name":"get"}})";
    for (const std::string& body : {
             "{" + msgs + R"(],"tools":[{"type":{"x":1},"function":{"name":"get"}}]})",
             "{" + msgs + R"(],"tools":[{"type":"function","function":{"name":"get","description":5}}]})",
             "{" + msgs + R"(],"tools":[)" + tool + R"(],"tool_choice":{"type":"function","function":{"name":7}}})",
             "{" + msgs + R"(,{"role":"assistant","tool_calls":[{"id":3,"function":{"name":"get"}}]}]})",
             "{" + msgs + R"(,{"role":"assistant","tool_calls":[{"id":"c","function":{"name":[1]}}]}]})"}) {
        try {
            wire::parse_chat_request(wire::parse_body(body), SamplingDefaults{});
            FAIL() << body;
        } catch (const wire::ApiError& e) {
            EXPECT_EQ(e.status, 400) << body;
            EXPECT_FALSE(e.param.empty()) << body;
        }
    }
}

// A list or mapping used as a YAML key made yaml-cpp throw TypedBadConversion out of the loader.
TEST(FuzzRegressions, ConfigNonScalarKeyIsConfigError) {
    for (const char* yaml : {"[a, b]: 1\nmodels: [{name: m, file: m.gguf}]\n",
                             "models:\n  - {name: m, file: m.gguf, {x: 1}: 2}\n",
                             "models: [{name: m, file: m.gguf}]\nproviders:\n  - {name: c, base_url: 'http://x', models: {[a]: b}}\n"}) {
        try {
            parse_config(yaml, "/c", "f.yaml");
            FAIL() << yaml;
        } catch (const ConfigError& e) {
            EXPECT_EQ(std::string(e.what()).rfind("f.yaml:", 0), 0u) << e.what();
        }
    }
}

// "144444...444MiB" (103 digits) converted a double beyond 2^64 to uint64_t, and "99999999999999999h"
// overflowed a signed multiplication: both undefined behaviour, reported by UBSan in fuzz_config.
TEST(FuzzRegressions, HugeSizesAndDurationsAreConfigErrors) {
    EXPECT_THROW(parse_bytes(std::string(103, '4') + "MiB"), std::invalid_argument);
    EXPECT_THROW(parse_bytes("1e300"), std::invalid_argument);
    EXPECT_THROW(parse_duration("99999999999999999h"), std::invalid_argument);
    EXPECT_EQ(parse_bytes("4GiB"), 4ull << 30);
    EXPECT_EQ(parse_duration("2h").count(), 7200);
    try {
        parse_config("server: {max_body_bytes: " + std::string(103, '4') + "MiB}\nmodels: [{name: m, file: m.gguf}]\n", "/c", "f.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("server.max_body_bytes"), std::string::npos) << e.what();
    }
}

TEST(FuzzRegressions, PipelineNonScalarKeysAndAliasBombsArePipelineErrors) {
    const char* base = "name: p\nnodes:\n  a:\n    type: template\n    params:\n";
    std::string bomb = std::string(base) + "      x0: &x0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
    for (int i = 1; i < 9; ++i)  // 10^9 values once expanded, from a few hundred bytes
        bomb += "      x" + std::to_string(i) + ": &x" + std::to_string(i) + " [" +
                [&] { std::string s; for (int j = 0; j < 10; ++j) s += (j ? ", *x" : "*x") + std::to_string(i - 1); return s; }() + "]\n";
    for (const std::string& yaml : {std::string("name: p\nnodes:\n  [a]: {type: template}\n"),
                                    std::string("name: p\ninputs:\n  t: {type: [text]}\nnodes:\n  a: {type: template}\n"),
                                    std::string(base) + "      k: {[1]: 2}\n", std::string(base) + "      self: &s [*s]\n", bomb}) {
        try {
            pipeline::parse_pipeline(yaml, "p.yaml", "/");
            FAIL() << yaml;
        } catch (const pipeline::PipelineError& e) {
            ASSERT_FALSE(e.problems.empty());
            EXPECT_EQ(e.problems[0].rfind("p.yaml", 0), 0u) << e.what();
        }
    }
}

// {{list.99999999999999999999}} made std::stoul throw std::out_of_range instead of NodeError.
TEST(FuzzRegressions, TemplateHugeIndexIsNodeError) {
    std::map<std::string, nlohmann::json> vars{{"l", nlohmann::json::array({"a"})}};
    EXPECT_THROW(pipeline::render_template("{{l.99999999999999999999}}", vars), pipeline::NodeError);
    EXPECT_EQ(pipeline::render_template("{{l.0}}", vars), "a");
}

// An upstream chunk with "index": 1e18 made us push a billion empty tool calls; huge logprobs
// and token counts are clamped instead of converted with undefined behaviour.
TEST(FuzzRegressions, UpstreamChunkWithHugeNumbersIsBounded) {
    providers::ProviderResult r;
    auto chunk = nlohmann::json::parse(R"({"choices":[{"delta":{"tool_calls":[{"index":1000000000000000000,"function":{"name":"f"}}]},
        "logprobs":{"content":[{"logprob":-1e300}]}}],"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":-5}})");
    providers::accumulate_chunk(chunk, r);
    EXPECT_TRUE(r.tool_calls.is_null() || r.tool_calls.size() <= 128u);
    ASSERT_EQ(r.token_logprobs.size(), 1u);
    EXPECT_LT(r.token_logprobs[0], -1e30f);
    EXPECT_GT(r.prompt_tokens, 0);
    EXPECT_EQ(r.completion_tokens, 0);
}

// std::regex recursed once per character: 100 KB of letters overflowed the stack (SIGSEGV).
// Run on a thread of its own, as the server's I/O threads run it.
TEST(FuzzRegressions, PiiRedactionOfLongTextDoesNotOverflowTheStack) {
    std::string text(1 << 20, 'a');
    text += " mail me at jane@example.com ";
    text += std::string(200000, '7');
    std::string out;
    std::thread t([&] { router::PiiRedactor r; out = r.redact(text); });
    t.join();
    EXPECT_NE(out.find("[EMAIL_1]"), std::string::npos);
    EXPECT_EQ(out.find("jane@"), std::string::npos);
}
