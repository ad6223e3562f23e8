// PoolServices: pipelines running on local models through the ModelPool, no HTTP. The tiny
// random-weight model checks the plumbing; the real default models (when setup has fetched
// them) check a small end-to-end pipeline.
#include "engine/engine_error.h"
#include "pipeline/pool_services.h"
#include "pipeline_test_support.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace switchyard;
using namespace switchyard::pipeline;

namespace {

Config tiny_config() {
    Config cfg;
    cfg.models = {switchyard::testing::tiny_spec("tiny")};
    cfg.models[0].aliases = {"t"};
    return cfg;
}

// The repository's switchyard.yaml with reduced context / parallelism so the test is light.
std::optional<Config> real_models_config() {
    const std::filesystem::path dir = SWITCHYARD_SOURCE_DIR;
    if (!std::filesystem::exists(dir / "models/gemma-3-270m-q4_k_m.gguf") || !std::filesystem::exists(dir / "models/all-minilm-l6-v2-f16.gguf"))
        return std::nullopt;
    Config cfg = load_config(dir / "switchyard.yaml");
    std::vector<ModelSpec> models;
    for (auto m : cfg.models) {
        if (m.name != "gemma-3-270m" && m.name != "all-minilm-l6-v2") continue;
        m.context_size = 512;
        m.parallel = 2;
        models.push_back(m);
    }
    cfg.models = models;
    return cfg;
}

}  // namespace

TEST(PipelinePoolServices, ParsesTheChatRequestSubset) {
    ChatInput input;
    SamplingParams sampling;
    SamplingDefaults defaults;
    parse_pipeline_chat_request({{"messages", {{{"role", "system"}, {"content", "s"}}, {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "u"}}}}}}},
                                 {"temperature", 0},
                                 {"max_tokens", 7},
                                 {"stop", "END"},
                                 {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", {{"type", "object"}}}}}}}},
                                defaults, input, sampling);
    ASSERT_EQ(input.messages.size(), 2u);
    EXPECT_EQ(input.messages[1].content, "u");
    EXPECT_EQ(sampling.temperature, 0.0f);
    EXPECT_EQ(sampling.max_tokens, 7);
    EXPECT_EQ(sampling.top_k, defaults.top_k);
    EXPECT_EQ(sampling.stop, std::vector<std::string>{"END"});
    EXPECT_EQ(input.json_schema, R"({"type":"object"})");
    EXPECT_THROW(parse_pipeline_chat_request({{"messages", json::array()}}, defaults, input, sampling), NodeError);
}

TEST(PipelinePoolServices, ChatsOnTheTinyModelAndNamesModels) {
    ModelPool pool(tiny_config());
    PoolServices services(pool);
    EXPECT_TRUE(services.known_model("t"));
    EXPECT_FALSE(services.known_model("nope"));
    auto identity = services.model_identity("t");
    EXPECT_NE(identity.find("tiny|"), std::string::npos);
    EXPECT_NE(identity.find(std::to_string(std::filesystem::file_size(switchyard::testing::tiny_model_path()))), std::string::npos);
    std::string streamed;
    auto response = services.chat_stream({{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}, {"max_tokens", 5}, {"temperature", 0}},
                                         {[&](const std::string& piece) { streamed += piece; }, nullptr});
    const auto& content = response["choices"][0]["message"]["content"];
    ASSERT_TRUE(content.is_string());
    EXPECT_EQ(streamed, content.get<std::string>());
    EXPECT_LE(response["usage"]["completion_tokens"].get<int>(), 5);
    EXPECT_THROW(services.chat({{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}), EngineError);
    EXPECT_THROW(services.embed("tiny", {"x"}), EngineError) << "a chat model cannot embed";
}

TEST(PipelinePoolServices, RunsAPipelineOnTheRealDefaultModels) {
    auto cfg = real_models_config();
    if (!cfg) GTEST_SKIP() << "models/ not fetched (scripts/fetch-models.sh)";
    ModelPool pool(*cfg);
    PoolServices services(pool);
    auto def = parse_pipeline(R"(name: real
inputs: {text: text}
nodes:
  person:
    type: extract
    params: {model: gemma, max_tokens: 40, schema: {type: object, properties: {name: {type: string}, born: {type: integer}}, required: [name, born], additionalProperties: false}}
    inputs: {text: $inputs.text}
  topic:
    type: classify
    params: {model: minilm, method: embedding, labels: {history: "a person from history and when they were born", cooking: "recipes and food"}}
    inputs: {text: $inputs.text}
outputs: {person: person.json, topic: topic.label}
)", "real.yaml", {});
    Executor executor(builtin_nodes(), services);
    auto r = executor.run(def, {{"text", "Ada Lovelace was born in 1815."}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.outputs["person"]["born"].is_number_integer()) << r.outputs.dump();
    EXPECT_TRUE(r.outputs["person"]["name"].is_string()) << r.outputs.dump();
    EXPECT_EQ(r.outputs["topic"], "history") << r.outputs.dump();
}

TEST(PipelinePoolServices, TriageExampleTakesOneBranchOnRealModels) {
    auto cfg = real_models_config();
    if (!cfg) GTEST_SKIP() << "models/ not fetched (scripts/fetch-models.sh)";
    ModelPool pool(*cfg);
    PoolServices services(pool);
    // PoolServices knows no routes: the example's `smart` route becomes the local model here
    // (tests/e2e/test_pipelines_cli.py runs it unchanged, with the router).
    std::ifstream in(std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "pipeline/examples/triage.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto at = text.find("model: smart");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 12, "model: gemma");
    auto def = parse_pipeline(text, "triage.yaml", {});
    Executor executor(builtin_nodes(), services);
    auto r = executor.run(def, {{"ticket", "Hi, how do I change the email address on my account? Thanks, Maria"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["topic"], "account");
    EXPECT_EQ(r.outputs["difficulty"], "easy");
    EXPECT_TRUE(r.outputs["local_reply"].is_string());
    EXPECT_TRUE(r.outputs["escalated_reply"].is_null());
    EXPECT_EQ(r.node("escalated_reply")->status, NodeStatus::skipped);
    EXPECT_TRUE(r.outputs["fields"]["urgent"].is_boolean()) << r.outputs.dump();
}
