// Speculative decoding by prompt lookup: the drafting itself, and that greedy answers are the same
// with and without it (a real model on a copy-heavy prompt, and the tiny random model on the
// paths that end an answer mid-draft: max_tokens and stop strings).
#include "engine/loaded_model.h"
#include "engine/ngram_draft.h"
#include "generation_collector.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace switchyard;
using namespace switchyard::testing;

namespace {

// How long these tests wait for an answer (the collector's default is 60 s): the first one runs a
// real model, SmolLM2, twice.
constexpr auto kWait = std::chrono::seconds(120);

ModelSpec with_drafting(ModelSpec m, int ngram = 3, int max_draft = 6) {
    m.speculative.ngram = ngram;
    m.speculative.max_draft = max_draft;
    return m;
}

}  // namespace

TEST(NgramDraft, ContinuesTheLatestEarlierOccurrence) {
    // ... 1 2 3 [7 8] ... 1 2 3 [9 4] ... 1 2 3  -> the latest match is followed by 9 4 ...
    std::vector<llama_token> h = {1, 2, 3, 7, 8, 5, 1, 2, 3, 9, 4, 6, 1, 2, 3};
    EXPECT_EQ(ngram_draft(h, 3, 2), (std::vector<llama_token>{9, 4}));
    EXPECT_EQ(ngram_draft(h, 3, 10), (std::vector<llama_token>{9, 4, 6, 1, 2, 3}));
}

TEST(NgramDraft, FallsBackToShorterMatchesButNotToOneToken) {
    std::vector<llama_token> h = {5, 2, 3, 7, 8, 9, 2, 3};   // "2 3" matches, "9 2 3" does not
    EXPECT_EQ(ngram_draft(h, 3, 2), (std::vector<llama_token>{7, 8}));
    std::vector<llama_token> one = {4, 7, 5, 6, 7};           // only the single token 7 repeats
    EXPECT_TRUE(ngram_draft(one, 3, 4).empty());
    EXPECT_EQ(ngram_draft(one, 1, 2), (std::vector<llama_token>{5, 6}));
}

TEST(NgramDraft, NothingToDraft) {
    EXPECT_TRUE(ngram_draft({}, 3, 4).empty());
    EXPECT_TRUE(ngram_draft({1}, 3, 4).empty());
    EXPECT_TRUE(ngram_draft({1, 2, 3, 4}, 3, 4).empty());
    EXPECT_TRUE(ngram_draft({1, 2, 1, 2}, 0, 4).empty());
    EXPECT_TRUE(ngram_draft({1, 2, 1, 2}, 2, 0).empty());
}

// The real small model on a prompt whose answer copies its input: drafts are accepted, and the
// answer is token for token the one decoded without them.
TEST(Speculative, RealModelCopyingAnswerIsIdenticalAndUsesDrafts) {
    const std::filesystem::path file = std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(file)) GTEST_SKIP() << "models/ not fetched (scripts/fetch-models.sh)";
    ModelSpec m;
    m.name = "smol";
    m.file = file;
    m.context_size = 1024;
    m.parallel = 2;
    m.threads = 1;
    ChatInput in;
    in.messages.push_back({"user", "Repeat this sentence word for word: the committee will receive the annual report "
                                   "on the fourth of February and discuss the budget for the new library building.", {}, "", ""});
    auto plain = LoadedModel::load(m);
    Collector a;
    plain->generate_chat(in, greedy(60), a.sink());
    auto [text_a, done_a, deltas_a] = a.wait(kWait);
    auto spec = LoadedModel::load(with_drafting(m));
    Collector b;
    spec->generate_chat(in, greedy(60), b.sink());
    auto [text_b, done_b, deltas_b] = b.wait(kWait);
    ASSERT_EQ(done_a.type, GenerationEvent::Type::done) << done_a.error;
    ASSERT_EQ(done_b.type, GenerationEvent::Type::done) << done_b.error;
    EXPECT_EQ(text_b, text_a);
    EXPECT_EQ(done_b.full_text, done_a.full_text);
    EXPECT_EQ(done_b.finish_reason, done_a.finish_reason);
    EXPECT_EQ(done_b.usage.completion_tokens, done_a.usage.completion_tokens);
    EXPECT_EQ(done_a.usage.draft_tokens, 0);
    EXPECT_GT(done_b.usage.accepted_draft_tokens, 5) << "the answer copies the sentence: drafts should be accepted\n" << text_a << "\ndrafted " << done_b.usage.draft_tokens;
    EXPECT_LE(done_b.usage.accepted_draft_tokens, done_b.usage.draft_tokens);

    // A request with temperature > 0 never drafts (verification keeps only greedy answers identical).
    auto hot = greedy(8);
    hot.temperature = 0.7f;
    hot.seed = 7;
    Collector c;
    spec->generate_chat(in, hot, c.sink());
    EXPECT_EQ(c.wait(kWait).done.usage.draft_tokens, 0);
}

// The random tiny model repeats itself, so drafts are long and often accepted: an answer that ends
// by max_tokens or a stop string in the middle of an accepted draft must end exactly where the
// one-token path ends it, also with two sequences in one batch.
TEST(Speculative, EndsMidDraftExactlyAsWithout) {
    auto plain = LoadedModel::load(tiny_spec("plain", 2, 512));
    auto spec = LoadedModel::load(with_drafting(tiny_spec("spec", 2, 512), 2, 8));
    for (int max_tokens : {1, 7, 40}) {
        Collector a, b1, b2;
        plain->generate_text("one two one two one two", "", greedy(max_tokens), a.sink());
        spec->generate_text("one two one two one two", "", greedy(max_tokens), b1.sink());
        spec->generate_text("one two one two one two", "", greedy(max_tokens), b2.sink());
        auto ra = a.wait(kWait), rb1 = b1.wait(kWait), rb2 = b2.wait(kWait);
        EXPECT_EQ(rb1.text, ra.text) << "max_tokens " << max_tokens;
        EXPECT_EQ(rb2.text, ra.text) << "max_tokens " << max_tokens;
        EXPECT_EQ(rb1.done.usage.completion_tokens, ra.done.usage.completion_tokens);
        EXPECT_EQ(rb1.done.finish_reason, ra.done.finish_reason);
        if (max_tokens == 40) {
            EXPECT_GT(rb1.done.usage.draft_tokens, 0) << "the tiny model's answer repeats: it should have drafted";
            ASSERT_GT(ra.text.size(), 12u);
            auto p = greedy(40);
            p.stop = {ra.text.substr(ra.text.size() / 2, 4)};
            Collector sa, sb;
            plain->generate_text("one two one two one two", "", p, sa.sink());
            spec->generate_text("one two one two one two", "", p, sb.sink());
            auto rsa = sa.wait(kWait), rsb = sb.wait(kWait);
            EXPECT_EQ(rsb.text, rsa.text);
            EXPECT_EQ(rsb.done.finish_reason, "stop");
            EXPECT_EQ(rsb.done.usage.completion_tokens, rsa.done.usage.completion_tokens);
        }
    }
    // The sequences stay usable: a follow-up on the same model still matches.
    Collector a, b;
    plain->generate_text("three four", "", greedy(20), a.sink());
    spec->generate_text("three four", "", greedy(20), b.sink());
    EXPECT_EQ(b.wait(kWait).text, a.wait(kWait).text);
}
