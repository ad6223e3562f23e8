// The executor with a fake model service: ordering, parallelism, map, caching across edits,
// switch skipping, failures, cancellation and progress.
#include "pipeline_test_support.h"

#include <gtest/gtest.h>

using namespace switchyard::pipeline;
using namespace switchyard::pipeline::testing;

namespace {

RunResult run(FakeServices& services, const std::string& yaml, const json& inputs, RunOptions options = {}) {
    Executor executor(builtin_nodes(), services);
    return executor.run(parse(yaml), inputs, options);
}

const char* kChain = R"(name: chain
inputs: {text: text}
nodes:
  fixed:
    type: llm
    params: {model: m, prompt: "fix {{text}}"}
    inputs: {text: $inputs.text}
  summary:
    type: llm
    params: {model: m, prompt: "sum {{text}}"}
    inputs: {text: fixed.text}
  side:
    type: llm
    params: {model: m, prompt: "side {{text}}"}
    inputs: {text: $inputs.text}
outputs:
  summary: summary.text
  side: side.text
)";

}  // namespace

TEST(PipelineExecutor, RunsNodesInOrderAndCollectsOutputs) {
    FakeServices services;
    auto r = run(services, kChain, {{"text", "teh cat"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["summary"], "answer(sum answer(fix teh cat))");
    EXPECT_EQ(r.outputs["side"], "answer(side teh cat)");
    ASSERT_EQ(r.nodes.size(), 3u);
    for (const auto& n : r.nodes) {
        EXPECT_EQ(n.status, NodeStatus::ok) << n.id;
        EXPECT_GE(n.started_ms, 0);
    }
    EXPECT_EQ(services.chats[0]["temperature"], 0.0) << "pipelines default to deterministic answers";
}

TEST(PipelineExecutor, InputsAreCheckedAndDefaulted) {
    FakeServices services;
    const std::string yaml = "name: x\ninputs:\n  a: text\n  b: {type: text, default: B}\nnodes:\n  t:\n    type: template\n"
                             "    params: {template: \"{{a}}{{b}}\"}\n    inputs: {a: $inputs.a, b: $inputs.b}\noutputs: {o: t.text}\n";
    EXPECT_EQ(run(services, yaml, {{"a", "A"}}).outputs["o"], "AB");
    EXPECT_THROW(run(services, yaml, json::object()), PipelineError);
    EXPECT_THROW(run(services, yaml, {{"a", 3}}), PipelineError);
    EXPECT_THROW(run(services, yaml, {{"a", "A"}, {"zzz", 1}}), PipelineError);
}

TEST(PipelineExecutor, IndependentNodesRunInParallelUpToTheLimit) {
    const std::string yaml = R"(name: p
inputs: {t: text}
nodes:
  a: {type: llm, params: {model: m, prompt: "a{{t}}"}, inputs: {t: $inputs.t}}
  b: {type: llm, params: {model: m, prompt: "b{{t}}"}, inputs: {t: $inputs.t}}
  c: {type: llm, params: {model: m, prompt: "c{{t}}"}, inputs: {t: $inputs.t}}
outputs: {a: a.text, b: b.text, c: c.text}
)";
    FakeServices two;
    two.delay_ms = 150;
    RunOptions options;
    auto r = run(two, yaml, {{"t", "x"}}, options);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(two.max_active, 2);
    FakeServices one;
    one.delay_ms = 50;
    options.parallelism = 1;
    ASSERT_TRUE(run(one, yaml, {{"t", "x"}}, options).ok);
    EXPECT_EQ(one.max_active, 1);
}

TEST(PipelineExecutor, MapRunsOncePerElementWithBoundedConcurrency) {
    const std::string yaml = R"(name: m
inputs: {doc: text}
nodes:
  pieces: {type: chunk, params: {size: 1, overlap: 0}, inputs: {text: $inputs.doc}}
  up:
    type: llm
    params: {model: m, prompt: "{{text}}"}
    inputs: {text: pieces.chunks}
    map: text
    map_concurrency: 2
outputs: {o: up.text}
)";
    FakeServices services;
    services.delay_ms = 60;
    std::vector<int> elements;
    std::mutex mu;
    RunOptions options;
    options.on_progress = [&](const ProgressEvent& e) {
        std::lock_guard lock(mu);
        if (e.kind == ProgressEvent::Kind::element_finished) elements.push_back(e.total);
    };
    auto r = run(services, yaml, {{"doc", "one two three four five"}}, options);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["o"], json({"answer(one)", "answer(two)", "answer(three)", "answer(four)", "answer(five)"}));
    EXPECT_EQ(services.max_active, 2);
    EXPECT_EQ(elements, std::vector<int>(5, 5));
    EXPECT_EQ(r.node("up")->elements, 5);
}

TEST(PipelineExecutor, EditingOneNodeRerunsOnlyItAndItsDependents) {
    FakeServices services;
    NodeCache cache;
    RunOptions options;
    options.cache = &cache;
    ASSERT_TRUE(run(services, kChain, {{"text", "x"}}, options).ok);
    EXPECT_EQ(services.chat_count(), 3);
    auto again = run(services, kChain, {{"text", "x"}}, options);
    EXPECT_EQ(services.chat_count(), 3) << "unchanged: everything from the cache";
    for (const auto& n : again.nodes) EXPECT_EQ(n.status, NodeStatus::cached) << n.id;
    EXPECT_EQ(again.outputs["summary"], "answer(sum answer(fix x))");

    std::string edited = kChain;
    edited.replace(edited.find("fix {{text}}"), 12, "FIX {{text}}");
    auto r = run(services, edited, {{"text", "x"}}, options);
    EXPECT_EQ(services.chat_count(), 5);
    EXPECT_EQ(r.node("fixed")->status, NodeStatus::ok);
    EXPECT_EQ(r.node("summary")->status, NodeStatus::ok);
    EXPECT_EQ(r.node("side")->status, NodeStatus::cached);

    services.identity["m"] = "m@2";   // the model file changed: nothing can be reused
    run(services, edited, {{"text", "x"}}, options);
    EXPECT_EQ(services.chat_count(), 8);
}

TEST(PipelineExecutor, DiskCacheSurvivesTheProcessAndCacheFalseOptsOut) {
    auto dir = temp_dir("cache");
    FakeServices services;
    {
        NodeCache cache(dir);
        RunOptions options;
        options.cache = &cache;
        run(services, kChain, {{"text", "x"}}, options);
    }
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 3);
    NodeCache fresh(dir);
    RunOptions options;
    options.cache = &fresh;
    std::string no_cache = kChain;
    no_cache.replace(no_cache.find("  side:\n"), 8, "  side:\n    cache: false\n");
    auto r = run(services, no_cache, {{"text", "x"}}, options);
    EXPECT_EQ(r.node("fixed")->status, NodeStatus::cached);
    EXPECT_EQ(r.node("side")->status, NodeStatus::ok);
    EXPECT_EQ(services.chat_count(), 4);
}

TEST(PipelineExecutor, SwitchSkipsTheBranchNotTaken) {
    const std::string yaml = R"(name: s
inputs: {t: text, kind: text}
nodes:
  route: {type: switch, params: {cases: [billing, tech]}, inputs: {value: $inputs.kind, data: $inputs.t}}
  bill: {type: llm, params: {model: m, prompt: "bill {{q}}"}, inputs: {q: route.billing}}
  tech: {type: llm, params: {model: m, prompt: "tech {{q}}"}, inputs: {q: route.tech}}
  after_tech: {type: template, params: {template: "{{x}}!"}, inputs: {x: tech.text}}
outputs: {bill: bill.text, tech: after_tech.text, chosen: route.selected}
)";
    FakeServices services;
    auto r = run(services, yaml, {{"t", "refund me"}, {"kind", " Billing "}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["bill"], "answer(bill refund me)");
    EXPECT_TRUE(r.outputs["tech"].is_null());
    EXPECT_EQ(r.outputs["chosen"], "billing");
    EXPECT_EQ(r.node("tech")->status, NodeStatus::skipped);
    EXPECT_EQ(r.node("after_tech")->status, NodeStatus::skipped);
    EXPECT_NE(r.node("tech")->message.find("route.tech"), std::string::npos) << r.node("tech")->message;
    EXPECT_EQ(services.chat_count(), 1);
    auto bad = run(services, yaml, {{"t", "x"}, {"kind", "sales"}});
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("node 'route' (switch): value 'sales' matches no case"), std::string::npos) << bad.error;
}

TEST(PipelineExecutor, AFailureFailsTheRunAndSkipsWhatHasNotStarted) {
    FakeServices services;
    services.answer = [](const json& r) -> std::string {
        if (last_user_message(r).rfind("fix", 0) == 0) throw NodeError("model exploded");
        return "fine";
    };
    RunOptions options;
    options.parallelism = 1;
    auto r = run(services, kChain, {{"text", "x"}}, options);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "node 'fixed' (llm): model exploded");
    EXPECT_EQ(r.node("fixed")->status, NodeStatus::failed);
    EXPECT_EQ(r.node("summary")->status, NodeStatus::skipped);
    EXPECT_EQ(r.node("side")->status, NodeStatus::skipped);
}

TEST(PipelineExecutor, CancellationStopsBetweenNodesAndElements) {
    const std::string yaml = R"(name: c
inputs: {doc: text}
nodes:
  pieces: {type: chunk, params: {size: 1, overlap: 0}, inputs: {text: $inputs.doc}}
  each: {type: llm, params: {model: m, prompt: "{{text}}"}, inputs: {text: pieces.chunks}, map: text, map_concurrency: 1}
  last: {type: template, params: {template: "{{x}}"}, inputs: {x: each.text}}
outputs: {o: last.text}
)";
    FakeServices services;
    std::atomic<bool> cancel{false};
    services.answer = [&](const json& r) {
        cancel = true;   // cancelled while the first element runs
        return std::string("x");
    };
    RunOptions options;
    options.cancel = &cancel;
    auto r = run(services, yaml, {{"doc", "a b c d"}}, options);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(services.chat_count(), 1);
    EXPECT_EQ(r.node("each")->status, NodeStatus::cancelled);
    EXPECT_EQ(r.node("last")->status, NodeStatus::cancelled);
}

TEST(PipelineExecutor, ProgressAndTokenStreamOfTheFinalNode) {
    FakeServices services;
    std::vector<std::string> events, tokens;
    std::mutex mu;
    RunOptions options;
    options.parallelism = 1;
    options.on_progress = [&](const ProgressEvent& e) {
        std::lock_guard lock(mu);
        events.push_back((e.kind == ProgressEvent::Kind::node_started ? "start " : "end ") + e.node_id +
                         (e.kind == ProgressEvent::Kind::node_finished ? " " + to_string(e.status) : ""));
    };
    options.on_token = [&](const std::string& node, const std::string& piece) { tokens.push_back(node + ":" + piece); };
    auto r = run(services, kChain, {{"text", "x"}}, options);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(events, (std::vector<std::string>{"start fixed", "end fixed ok", "start summary", "end summary ok", "start side", "end side ok"}));
    EXPECT_EQ(tokens, (std::vector<std::string>{"summary:answer(sum answer(fix x))"}));
}

TEST(PipelineExecutor, RefusesAnInvalidPipeline) {
    FakeServices services;
    EXPECT_THROW(run(services, "name: x\nnodes: {a: {type: llm, params: {model: nope, prompt: p}}}\noutputs: {o: a.text}\n", {}),
                 PipelineError);
}

TEST(PipelineExecutor, ACachedStreamedNodeStillSendsItsText) {
    FakeServices services;
    NodeCache cache;
    std::vector<std::string> tokens;
    RunOptions options;
    options.cache = &cache;
    options.stream_node = "side";
    options.on_token = [&](const std::string& node, const std::string& piece) { tokens.push_back(node + ":" + piece); };
    run(services, kChain, {{"text", "x"}}, options);
    auto r = run(services, kChain, {{"text", "x"}}, options);
    EXPECT_EQ(r.node("side")->status, NodeStatus::cached);
    EXPECT_EQ(tokens, (std::vector<std::string>{"side:answer(side x)", "side:answer(side x)"}));
}

TEST(PipelineExecutor, ANodeInterruptedByCancellationIsCancelledNotFailed) {
    FakeServices services;
    std::atomic<bool> cancel{false};
    services.answer = [&](const json&) -> std::string {
        cancel = true;
        throw NodeError("cancelled");
    };
    NodeCache cache;
    RunOptions options;
    options.cancel = &cancel;
    options.cache = &cache;
    options.parallelism = 1;
    auto r = run(services, kChain, {{"text", "x"}}, options);
    EXPECT_TRUE(r.cancelled);
    EXPECT_EQ(r.error, "cancelled");
    EXPECT_EQ(r.node("fixed")->status, NodeStatus::cancelled);
    EXPECT_EQ(r.node("side")->status, NodeStatus::cancelled);
}

TEST(PipelineExecutor, ResultsAndEventsAsJson) {
    FakeServices services;
    std::vector<json> events;
    std::mutex mu;
    RunOptions options;
    options.on_progress = [&](const ProgressEvent& e) {
        std::lock_guard lock(mu);
        events.push_back(to_json(e));
    };
    auto body = to_json(run(services, kChain, {{"text", "x"}}, options));
    EXPECT_EQ(body["ok"], true);
    EXPECT_EQ(body["outputs"]["side"], "answer(side x)");
    EXPECT_EQ(body["nodes"][0]["status"], "ok");
    EXPECT_FALSE(body.contains("error"));
    ASSERT_EQ(events.size(), 6u);
    EXPECT_EQ(events[0]["event"], "node_started");
    EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const json& e) { return e["event"] == "node_finished" && e["status"] == "ok"; }));
    auto nodes = builtin_nodes().describe();
    auto llm = std::find_if(nodes.begin(), nodes.end(), [](const json& n) { return n["name"] == "llm"; });
    ASSERT_NE(llm, nodes.end());
    EXPECT_EQ((*llm)["outputs"][0]["name"], "text");
    EXPECT_TRUE((*llm)["extra_inputs"].get<bool>());
}
