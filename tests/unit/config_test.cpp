#include "config/config.h"

#include <gtest/gtest.h>

using namespace switchyard;

namespace {
Config parse(const std::string& text) { return parse_config(text, "/etc/sy", "test.yaml"); }

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST(Config, ParsesModelsWithDefaultsAndResolvesPaths) {
    auto cfg = parse(R"(
models_dir: models
memory_budget: 2GiB
server: {port: 9000, shutdown_grace: 5s}
models:
  - name: small
    file: small.gguf
    aliases: [s, default]
    keep_alive: 5m
    chat_template: tmpl/x.jinja
    sampling: {temperature: 0.2, max_tokens: 64}
  - name: emb
    file: /abs/emb.gguf
    kind: embedding
)");
    ASSERT_EQ(cfg.models.size(), 2u);
    EXPECT_EQ(cfg.server.port, 9000);
    EXPECT_EQ(cfg.server.shutdown_grace, std::chrono::seconds(5));
    EXPECT_EQ(cfg.memory_budget_bytes, 2ull << 30);
    EXPECT_EQ(cfg.models[0].file, "/etc/sy/models/small.gguf");
    EXPECT_EQ(cfg.models[0].chat_template, "/etc/sy/tmpl/x.jinja");
    EXPECT_EQ(cfg.models[0].keep_alive, std::chrono::seconds(300));
    EXPECT_FLOAT_EQ(cfg.models[0].sampling.temperature, 0.2f);
    EXPECT_EQ(cfg.models[0].sampling.max_tokens, 64);
    EXPECT_EQ(cfg.models[0].sampling.top_k, 40);  // default kept
    EXPECT_EQ(cfg.models[1].file, "/abs/emb.gguf");
    EXPECT_EQ(cfg.models[1].kind, ModelKind::embedding);
    EXPECT_EQ(cfg.find_model("s"), &cfg.models[0]);
    EXPECT_EQ(cfg.find_model("emb"), &cfg.models[1]);
    EXPECT_EQ(cfg.find_model("nope"), nullptr);
}

TEST(Config, UnknownKeyNamesFileLinePathAndAllowedKeys) {
    auto msg = error_of("models:\n  - name: a\n    file: a.gguf\n    contxt_size: 10\n");
    EXPECT_NE(msg.find("test.yaml:4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("models[0]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unknown key 'contxt_size'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("context_size"), std::string::npos) << msg;
}

TEST(Config, PreciseErrors) {
    EXPECT_NE(error_of("models:\n  - file: a.gguf\n").find("missing required key 'name'"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - name: a\n").find("missing required key 'file'"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - {name: a, file: a, kind: vision}\n").find("must be 'chat' or 'embedding', got 'vision'"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - {name: a, file: a, parallel: 0}\n").find("models[0].parallel: must be between 1 and 256, got 0"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - {name: a, file: a, context_size: big}\n").find("expected an integer, got 'big'"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - {name: a, file: a, keep_alive: soon}\n").find("not a duration"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - {name: a, file: a}\n  - {name: b, file: b, aliases: [a]}\n").find("'a' is used twice"), std::string::npos);
    EXPECT_NE(error_of("models: []\n").find("non-empty list"), std::string::npos);
    EXPECT_NE(error_of("models: [\n").find("invalid YAML"), std::string::npos);
    EXPECT_NE(error_of("server: {prot: 1}\nmodels: [{name: a, file: a}]\n").find("unknown key 'prot'"), std::string::npos);
    EXPECT_NE(error_of("memory_budget: lots\nmodels: [{name: a, file: a}]\n").find("not a size"), std::string::npos);
}

TEST(Config, MissingFileIsAConfigError) {
    EXPECT_THROW(load_config("/nonexistent/switchyard.yaml"), ConfigError);
}

TEST(Config, DurationsAndSizes) {
    EXPECT_EQ(parse_duration("30"), std::chrono::seconds(30));
    EXPECT_EQ(parse_duration("2m"), std::chrono::seconds(120));
    EXPECT_EQ(parse_duration("1h"), std::chrono::seconds(3600));
    EXPECT_EQ(parse_duration("-1"), std::chrono::seconds::max());
    EXPECT_THROW(parse_duration("5 parsecs"), std::invalid_argument);
    EXPECT_EQ(parse_bytes("512MiB"), 512ull << 20);
    EXPECT_EQ(parse_bytes("1.5G"), 3ull << 29);
    EXPECT_EQ(parse_bytes("100"), 100u);
    EXPECT_THROW(parse_bytes("12 potatoes"), std::invalid_argument);
}

TEST(Config, SpeculativeDecodingOption) {
    auto c = parse("models:\n  - name: a\n    file: a.gguf\n    speculative: {ngram: 3, max_draft: 6}\n  - name: b\n    file: b.gguf\n");
    EXPECT_EQ(c.models[0].speculative.ngram, 3);
    EXPECT_EQ(c.models[0].speculative.max_draft, 6);
    EXPECT_EQ(c.models[1].speculative.ngram, 0) << "off unless configured";
    EXPECT_NE(error_of("models:\n  - name: a\n    file: a.gguf\n    speculative: 3\n").find("models[0].speculative: expected a map"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - name: a\n    file: a.gguf\n    speculative: {ngram: 3, max_draft: 0}\n").find("models[0].speculative.max_draft"), std::string::npos);
    EXPECT_NE(error_of("models:\n  - name: a\n    file: a.gguf\n    kind: embedding\n    speculative: {ngram: 2}\n").find("only chat models"), std::string::npos);
}
