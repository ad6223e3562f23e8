// Continuous batching on a tiny random model: exact token counts, concurrency beyond the number
// of sequences, cancellation, stop strings, prefix reuse and the admission errors.
#include "engine/engine_error.h"
#include "engine/loaded_model.h"
#include "generation_collector.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

using namespace switchyard;
using namespace switchyard::testing;

namespace {


}  // namespace

TEST(Scheduler, GeneratesExactlyMaxTokens) {
    auto model = LoadedModel::load(tiny_spec("tiny"));
    Collector c;
    model->generate_text("hello there", "", greedy(12), c.sink());
    auto r = c.wait();
    EXPECT_EQ(r.done.type, GenerationEvent::Type::done);
    EXPECT_EQ(r.done.finish_reason, "length");
    EXPECT_EQ(r.done.usage.completion_tokens, 12);
    EXPECT_GT(r.done.usage.prompt_tokens, 0);
    EXPECT_EQ(r.done.full_text, r.text);
}

TEST(Scheduler, MoreRequestsThanSequencesAllFinishAndAgreeWithSerialRuns) {
    auto model = LoadedModel::load(tiny_spec("tiny", /*parallel=*/2));
    Collector ref;
    model->generate_text("prompt number 3", "", greedy(8), ref.sink());
    std::string expected = ref.wait().text;
    std::vector<std::unique_ptr<Collector>> cs;
    for (int i = 0; i < 6; ++i) {
        cs.push_back(std::make_unique<Collector>());
        model->generate_text("prompt number " + std::to_string(i), "", greedy(8), cs.back()->sink());
    }
    for (int i = 0; i < 6; ++i) {
        auto r = cs[i]->wait();
        EXPECT_EQ(r.done.finish_reason, "length");
        EXPECT_EQ(r.done.usage.completion_tokens, 8);
        if (i == 3) EXPECT_EQ(r.text, expected) << "batched greedy output equals the output of a lone request";
    }
}

TEST(Scheduler, CancelStopsGenerationAtOnce) {
    auto model = LoadedModel::load(tiny_spec("tiny", 1, 2048));
    Collector c;
    std::shared_ptr<GenerationHandle> handle;
    std::promise<void> first;
    bool signalled = false;
    c.on_delta = [&] { if (!signalled) { signalled = true; first.set_value(); } };
    handle = model->generate_text("tell me everything", "", greedy(1500), c.sink());
    first.get_future().wait();
    handle->cancel();
    auto r = c.wait();
    EXPECT_EQ(r.done.finish_reason, "cancelled");
    EXPECT_LT(r.done.usage.completion_tokens, 1500);
    EXPECT_EQ(model->active(), 0);
}

TEST(Scheduler, StopStringCutsTheAnswerBeforeIt) {
    auto model = LoadedModel::load(tiny_spec("tiny"));
    Collector ref;
    model->generate_text("abc", "", greedy(20), ref.sink());
    std::string full = ref.wait().text;
    ASSERT_GT(full.size(), 10u);
    auto p = greedy(20);
    p.stop = {full.substr(6, 3)};
    Collector c;
    model->generate_text("abc", "", p, c.sink());
    auto r = c.wait();
    EXPECT_EQ(r.done.finish_reason, "stop");
    EXPECT_EQ(r.text, full.substr(0, full.find(p.stop[0])));
}

TEST(Scheduler, FollowUpTurnReusesThePromptPrefix) {
    auto model = LoadedModel::load(tiny_spec("tiny", 1));
    std::string base = "a long shared conversation prefix with many words in it to cache";
    Collector a;
    model->generate_text(base, "", greedy(4), a.sink());
    EXPECT_EQ(a.wait().done.usage.cached_prompt_tokens, 0);
    Collector b;
    model->generate_text(base + " and a follow-up", "", greedy(4), b.sink());
    auto r = b.wait();
    EXPECT_GT(r.done.usage.cached_prompt_tokens, 5);
    EXPECT_LT(r.done.usage.cached_prompt_tokens, r.done.usage.prompt_tokens);
}

TEST(Scheduler, RejectsPromptsLongerThanTheContext) {
    auto model = LoadedModel::load(tiny_spec("tiny", 1, 256));  // llama.cpp rounds contexts up to 256
    std::string huge(2000, 'x');
    for (int i = 0; i < 300; ++i) huge += " word" + std::to_string(i);
    try {
        model->generate_text(huge, "", greedy(4), [](GenerationEvent&&) {});
        FAIL() << "expected context_overflow";
    } catch (const EngineError& e) {
        EXPECT_EQ(e.kind, EngineErrorKind::context_overflow);
        EXPECT_NE(std::string(e.what()).find("maximum context length is 256 tokens"), std::string::npos) << e.what();
    }
}

TEST(Scheduler, FullQueueIsRejected) {
    auto spec = tiny_spec("tiny", 1, 2048);
    spec.queue_limit = 1;
    auto model = LoadedModel::load(spec);
    Collector a, b;
    auto ha = model->generate_text("one", "", greedy(1000), a.sink());
    auto hb = model->generate_text("two", "", greedy(1000), b.sink());
    bool rejected = false;
    try {
        model->generate_text("three", "", greedy(1000), [](GenerationEvent&&) {});
    } catch (const EngineError& e) {
        rejected = e.kind == EngineErrorKind::queue_full;
    }
    EXPECT_TRUE(rejected);
    ha->cancel();
    hb->cancel();
    a.wait();
    b.wait();
}
