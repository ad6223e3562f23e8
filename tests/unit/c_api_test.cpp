// The C API (include/switchyard.h) as an embedding application uses it: linked only against
// libswitchyard.so, on the real small models in models/ (examples/embed.yaml), with tiny
// max_tokens. Covers opening a config, routing a prompt, streaming through the callback,
// embeddings, errors for bad configs, bad requests and unknown models, and two threads at once.
#include "switchyard.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = std::string(SWITCHYARD_SOURCE_DIR) + "/examples/embed.yaml";

json chat_body(const std::string& model, const std::string& text, int max_tokens = 6) {
    return {{"model", model}, {"max_tokens", max_tokens}, {"temperature", 0}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
}

int collect(const char* piece, size_t len, void* user) {
    static_cast<std::vector<std::string>*>(user)->emplace_back(piece, len);
    return 0;
}

int stop_after_first(const char* piece, size_t len, void* user) {
    static_cast<std::vector<std::string>*>(user)->emplace_back(piece, len);
    return 1;
}

class CApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        for (const char* f : {"SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf", "all-minilm-l6-v2-f16.gguf"})
            ASSERT_TRUE(fs::exists(fs::path(SWITCHYARD_SOURCE_DIR) / "models" / f)) << f << " missing: run scripts/fetch-models.sh";
        ASSERT_EQ(sy_open(kConfig.c_str(), &rt_), SY_OK) << sy_last_error();
    }
    static void TearDownTestSuite() {
        sy_close(rt_);
        rt_ = nullptr;
    }
    // Runs a chat; returns the status and fills response (parsed) and pieces.
    static sy_status chat(const json& body, json* response, std::vector<std::string>* pieces = nullptr,
                          sy_token_callback cb = collect) {
        char* out = nullptr;
        sy_status st = sy_chat(rt_, body.dump().c_str(), pieces ? cb : nullptr, pieces, &out);
        if (out) {
            if (response) *response = json::parse(out);
            sy_free(out);
        }
        return st;
    }
    static sy_runtime* rt_;
};
sy_runtime* CApi::rt_ = nullptr;

}  // namespace

TEST(CApiOpen, MissingConfigIsAConfigErrorNamingTheFile) {
    sy_runtime* rt = reinterpret_cast<sy_runtime*>(0x1);
    EXPECT_EQ(sy_open("/nonexistent/switchyard.yaml", &rt), SY_ERR_CONFIG);
    EXPECT_EQ(rt, nullptr);
    EXPECT_NE(std::string(sy_last_error()).find("switchyard.yaml"), std::string::npos) << sy_last_error();
}

TEST(CApiOpen, InvalidConfigNamesTheKey) {
    fs::path dir = fs::temp_directory_path() / ("sy-capi-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "bad.yaml") << "models:\n  - name: m\n    file: m.gguf\n    contxt_size: 10\n";
    sy_runtime* rt = nullptr;
    EXPECT_EQ(sy_open((dir / "bad.yaml").c_str(), &rt), SY_ERR_CONFIG);
    EXPECT_EQ(rt, nullptr);
    EXPECT_NE(std::string(sy_last_error()).find("contxt_size"), std::string::npos) << sy_last_error();
    fs::remove_all(dir);
}

TEST(CApiOpen, NullArgumentsAreRejected) {
    EXPECT_EQ(sy_open(nullptr, nullptr), SY_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(sy_chat(nullptr, "{}", nullptr, nullptr, nullptr), SY_ERR_INVALID_ARGUMENT);
    EXPECT_STRNE(sy_last_error(), "");
}

TEST_F(CApi, ListsModelsAndRoutes) {
    char* out = nullptr;
    ASSERT_EQ(sy_models(rt_, &out), SY_OK);
    json j = json::parse(out);
    sy_free(out);
    EXPECT_EQ(j["models"].size(), 3u);
    EXPECT_EQ(j["routes"][0]["name"], "auto");
}

TEST_F(CApi, ModelNameAnswersWithUsage) {
    json r;
    ASSERT_EQ(chat(chat_body("smol", "Say hello."), &r), SY_OK) << sy_last_error();
    EXPECT_EQ(r["object"], "chat.completion");
    EXPECT_EQ(r["model"], "smollm2-135m");           // the alias resolves to the model
    EXPECT_GT(r["usage"]["completion_tokens"].get<int>(), 0);
    EXPECT_LE(r["usage"]["completion_tokens"].get<int>(), 6);
    EXPECT_FALSE(r.contains("switchyard"));          // a model name is a one-tier route: no routing report
}

TEST_F(CApi, RoutesAPromptByItsRules) {
    json poem, plain;
    ASSERT_EQ(chat(chat_body("auto", "Write a poem about rain."), &poem), SY_OK) << sy_last_error();
    EXPECT_EQ(poem["switchyard"]["tier"], "medium");
    EXPECT_EQ(poem["model"], "gemma-3-270m");
    ASSERT_EQ(chat(chat_body("auto", "What is two plus two?"), &plain), SY_OK) << sy_last_error();
    EXPECT_EQ(plain["switchyard"]["tier"], "small");
    EXPECT_EQ(plain["model"], "smollm2-135m");
}

TEST_F(CApi, StreamsTokensThroughTheCallback) {
    json r;
    std::vector<std::string> pieces;
    ASSERT_EQ(chat(chat_body("smol", "Count: one, two,", 8), &r, &pieces), SY_OK) << sy_last_error();
    ASSERT_FALSE(pieces.empty());
    std::string joined;
    for (const auto& p : pieces) joined += p;
    EXPECT_EQ(joined, r["choices"][0]["message"]["content"].get<std::string>());
}

TEST_F(CApi, CallbackCanStopTheGeneration) {
    json r;
    std::vector<std::string> pieces;
    ASSERT_EQ(chat(chat_body("smol", "Tell me a long story.", 40), &r, &pieces, stop_after_first), SY_OK) << sy_last_error();
    EXPECT_EQ(pieces.size(), 1u);
    EXPECT_EQ(r["choices"][0]["finish_reason"], "cancelled");
    EXPECT_LT(r["usage"]["completion_tokens"].get<int>(), 40);
}

TEST_F(CApi, Embeddings) {
    const char* texts[] = {"The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing deadlines."};
    float* v = nullptr;
    size_t dims = 0;
    ASSERT_EQ(sy_embed(rt_, "minilm", texts, 3, &v, &dims), SY_OK) << sy_last_error();
    ASSERT_EQ(dims, 384u);
    auto dot = [&](int a, int b) { double s = 0; for (size_t i = 0; i < dims; ++i) s += double(v[a * dims + i]) * v[b * dims + i]; return s; };
    EXPECT_NEAR(dot(0, 0), 1.0, 1e-3);
    EXPECT_GT(dot(0, 1), dot(0, 2));                 // the two cat sentences are closer
    sy_free(v);
}

TEST_F(CApi, ErrorsHaveCodesAndMessages) {
    EXPECT_EQ(chat(chat_body("no-such-model", "hi"), nullptr), SY_ERR_NOT_FOUND);
    EXPECT_NE(std::string(sy_last_error()).find("does not exist"), std::string::npos) << sy_last_error();
    EXPECT_EQ(sy_chat(rt_, "{not json", nullptr, nullptr, nullptr), SY_ERR_BAD_REQUEST);
    EXPECT_STRNE(sy_last_error(), "");
    json bad = chat_body("smol", "hi");
    bad["temperature"] = "hot";
    EXPECT_EQ(chat(bad, nullptr), SY_ERR_BAD_REQUEST);
    EXPECT_NE(std::string(sy_last_error()).find("temperature"), std::string::npos) << sy_last_error();
    const char* texts[] = {"x"};
    float* v = nullptr;
    size_t dims = 0;
    EXPECT_EQ(sy_embed(rt_, "smol", texts, 1, &v, &dims), SY_ERR_BAD_REQUEST);   // a chat model cannot embed
    EXPECT_EQ(v, nullptr);
}

TEST_F(CApi, TwoThreadsAtOnce) {
    sy_status st[2] = {SY_ERR_FAILED, SY_ERR_FAILED};
    json r[2];
    std::vector<std::string> pieces[2];
    std::string err[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&, i] {
            st[i] = chat(chat_body(i == 0 ? "smol" : "gemma", "Name a color.", 6), &r[i], &pieces[i]);
            err[i] = sy_last_error();   // per thread
        });
    for (auto& t : threads) t.join();
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(st[i], SY_OK) << err[i];
        EXPECT_FALSE(pieces[i].empty());
        EXPECT_EQ(err[i], "");
    }
    EXPECT_EQ(r[0]["model"], "smollm2-135m");
    EXPECT_EQ(r[1]["model"], "gemma-3-270m");
}
