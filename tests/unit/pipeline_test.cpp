// Pipeline definitions: YAML parsing, value types, and the static checks that run before any
// node does (every message names file:line, node and field).
#include "pipeline_test_support.h"

#include <gtest/gtest.h>

#include <set>

using namespace switchyard::pipeline;
using namespace switchyard::pipeline::testing;

namespace {

const char* kProofread = R"(name: proofread
description: fix then summarise
inputs:
  text: {type: text}
  question: {type: text, default: "what is it about?"}
nodes:
  fixed:
    type: llm
    params: {model: m, prompt: "Fix spelling: {{text}}", max_tokens: 200, temperature: 0}
    inputs: {text: $inputs.text}
  summary:
    type: llm
    params: {model: auto, prompt: "Summarise: {{text}}"}
    inputs: {text: fixed.text}
outputs:
  fixed: fixed.text
  summary: summary.text
)";

}  // namespace

TEST(PipelineValueTypes, ParseAndAssign) {
    EXPECT_EQ(to_string(*parse_value_type("list<text>")), "list<text>");
    EXPECT_EQ(parse_value_type("embedding")->kind, ValueKind::embedding);
    EXPECT_FALSE(parse_value_type("list<list<text>>"));
    EXPECT_FALSE(parse_value_type("txt"));
    EXPECT_TRUE(assignable(ValueType::list_of(ValueKind::text), ValueType::of(ValueKind::list)));
    EXPECT_TRUE(assignable(ValueType::list_of(ValueKind::text), ValueType::of(ValueKind::json)));
    EXPECT_FALSE(assignable(ValueType::list_of(ValueKind::text), ValueType::of(ValueKind::text)));
    EXPECT_FALSE(assignable(ValueType::list_of(ValueKind::text), ValueType::list_of(ValueKind::embedding)));
    EXPECT_EQ(check_value("x", ValueType::of(ValueKind::text)), "");
    EXPECT_NE(check_value(3, ValueType::of(ValueKind::text)), "");
    EXPECT_NE(check_value(json::array({"a", 1}), ValueType::list_of(ValueKind::text)).find("element 1"), std::string::npos);
}

TEST(PipelineDefinition, ParsesTheProofreadExample) {
    auto def = parse(kProofread);
    EXPECT_EQ(def.name, "proofread");
    ASSERT_EQ(def.inputs.size(), 2u);
    EXPECT_EQ(def.inputs[1].default_value, json("what is it about?"));
    ASSERT_EQ(def.nodes.size(), 2u);
    EXPECT_EQ(def.nodes[0].id, "fixed");
    EXPECT_EQ(def.nodes[0].params["max_tokens"], 200);
    EXPECT_EQ(def.nodes[0].inputs.at("text").from, Wire::From::pipeline_input);
    EXPECT_EQ(def.nodes[1].inputs.at("text").node, "fixed");
    EXPECT_EQ(def.nodes[1].inputs.at("text").line, 14);
    FakeServices services;
    EXPECT_EQ(problems_of(kProofread, &services), "");
    EXPECT_EQ(topological_order(def), (std::vector<std::string>{"fixed", "summary"}));
}

TEST(PipelineDefinition, ShapeErrorsNameTheLine) {
    try {
        parse("name: x\nnodes:\n  a:\n    type: llm\n    inputs: {text: nowhere}\n    colour: red\noutputs: {o: a.text}\n");
        FAIL() << "expected a PipelineError";
    } catch (const PipelineError& e) {
        std::string all = e.what();
        EXPECT_NE(all.find("p.yaml:5: node 'a': inputs.text: 'nowhere' is not a wire"), std::string::npos) << all;
        EXPECT_NE(all.find("p.yaml:6: node 'a': unknown key 'colour'"), std::string::npos) << all;
        EXPECT_EQ(e.problems.size(), 2u);
    }
    EXPECT_THROW(parse("name: x\ninputs: {t: {type: txt}}\nnodes: {a: {type: template}}\n"), PipelineError);
    EXPECT_THROW(parse("name: [unclosed\n"), PipelineError);
}

TEST(PipelineValidation, UnknownNodeTypeListsTheKnownOnes) {
    auto p = problems_of("name: x\nnodes:\n  a:\n    type: lmm\noutputs: {o: a.text}\n");
    EXPECT_NE(p.find("p.yaml:3: node 'a': unknown node type 'lmm' (known: chunk, classify, embed, extract, files, http, index, llm, "),
              std::string::npos) << p;
}

TEST(PipelineValidation, ParamsAreChecked) {
    auto p = problems_of(R"(name: x
inputs: {t: text}
nodes:
  a:
    type: llm
    params: {model: m, promt: "hi {{t}}", max_tokens: many}
    inputs: {t: $inputs.t}
outputs: {o: a.text}
)");
    EXPECT_NE(p.find("p.yaml:6: node 'a': params.promt: unknown param for type 'llm' (known: model, system, temperature, max_tokens, seed, prompt, json_schema)"),
              std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:6: node 'a': params.max_tokens: expected an integer, got \"many\""), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:4: node 'a': params: missing required param 'prompt'"), std::string::npos) << p;
}

TEST(PipelineValidation, UnknownModelUsesTheCallback) {
    FakeServices services;
    auto p = problems_of("name: x\nnodes:\n  a:\n    type: llm\n    params: {model: gpt-9, prompt: hi}\noutputs: {o: a.text}\n", &services);
    EXPECT_NE(p.find("p.yaml:5: node 'a': params.model: unknown model or route 'gpt-9'"), std::string::npos) << p;
}

TEST(PipelineValidation, WiringErrors) {
    auto p = problems_of(R"(name: x
inputs: {t: text}
nodes:
  a:
    type: extract
    params: {model: m, schema: {type: object}}
    inputs: {text: $inputs.missing}
  b:
    type: extract
    params: {model: m, schema: {type: object}}
    inputs: {text: ghost.text, extra: $inputs.t}
  c:
    type: extract
    params: {model: m, schema: {type: object}}
    inputs: {text: a.txt}
  d:
    type: extract
    params: {model: m, schema: {type: object}}
outputs: {o: a.json}
)");
    EXPECT_NE(p.find("p.yaml:7: node 'a': inputs.text: unknown pipeline input 'missing' (inputs: t)"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:11: node 'b': inputs.text: 'ghost.text' wires to unknown node 'ghost' (nodes: a, b, c, d)"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:11: node 'b': inputs.extra: node type 'extract' has no input 'extra' (inputs: text (text))"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:15: node 'c': inputs.text: node 'a' (extract) has no output 'txt' (outputs: json)"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:16: node 'd': inputs: missing required input 'text' (text)"), std::string::npos) << p;
}

TEST(PipelineValidation, WireTypesAndMap) {
    const std::string base = R"(name: x
inputs: {doc: text}
nodes:
  pieces:
    type: chunk
    inputs: {text: $inputs.doc}
  facts:
    type: extract
    params: {model: m, schema: {type: object}}
    inputs: {text: pieces.chunks}
)";
    auto p = problems_of(base + "outputs: {o: facts.json}\n");
    EXPECT_NE(p.find("p.yaml:10: node 'facts': inputs.text: expects text, but 'pieces.chunks' is list<text> (to run once per element, add `map: text`)"),
              std::string::npos) << p;
    // Mapped: runs per chunk, and its output becomes a list, which a text port refuses.
    auto mapped = base + "    map: text\n  bad:\n    type: embed\n    params: {model: emb}\n    inputs: {text: facts.json}\noutputs: {o: facts.json}\n";
    p = problems_of(mapped);
    EXPECT_EQ(p.find("node 'facts'"), std::string::npos) << p;
    EXPECT_NE(p.find("node 'bad': inputs.text: expects text, but 'facts.json' is list<json>"), std::string::npos) << p;
    p = problems_of("name: x\ninputs: {t: text}\nnodes:\n  e:\n    type: embed\n    params: {model: emb}\n    map: text\n    inputs: {text: $inputs.t}\noutputs: {o: e.embedding}\n");
    EXPECT_NE(p.find("`map: text` needs a list, but '$inputs.t' is text"), std::string::npos) << p;
}

TEST(PipelineValidation, CyclesAreNamed) {
    auto p = problems_of(R"(name: x
nodes:
  a:
    type: template
    params: {template: "{{x}}"}
    inputs: {x: c.text}
  b:
    type: template
    params: {template: "{{x}}"}
    inputs: {x: a.text}
  c:
    type: template
    params: {template: "{{x}}"}
    inputs: {x: b.text}
outputs: {o: c.text}
)");
    EXPECT_NE(p.find("node 'a': cycle: a -> b -> c -> a"), std::string::npos) << p;
}

TEST(PipelineValidation, NodeTypeChecks) {
    auto p = problems_of(R"(name: x
inputs: {t: text}
nodes:
  t1:
    type: template
    params: {template: "Hello {{name}}"}
    inputs: {t: $inputs.t}
  s:
    type: switch
    params: {cases: [a, b], default: c}
    inputs: {value: $inputs.t}
  k:
    type: chunk
    params: {size: 10, overlap: 10}
    inputs: {text: $inputs.t}
outputs: {o: t1.text}
)");
    EXPECT_NE(p.find("p.yaml:6: node 't1': params.template: uses {{name}} but no input 'name' is wired"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:10: node 's': params.default: 'c' is not one of the cases"), std::string::npos) << p;
    EXPECT_NE(p.find("p.yaml:14: node 'k': params.overlap: must be at least 0 and less than size (10)"), std::string::npos) << p;
}

TEST(PipelineValidation, ValidateThrowsWithAllProblems) {
    auto def = parse("name: x\nnodes:\n  a: {type: nope}\n  b: {type: nope2}\noutputs: {o: a.text}\n");
    try {
        validate_pipeline(def, builtin_nodes(), {});
        FAIL();
    } catch (const PipelineError& e) {
        EXPECT_EQ(e.problems.size(), 2u);
    }
}

TEST(PipelineValidation, LoadsFromAFile) {
    auto dir = temp_dir("load");
    {
        std::ofstream(dir / "proofread.yaml") << kProofread;
    }
    auto def = load_pipeline_file(dir / "proofread.yaml");
    EXPECT_EQ(def.base_dir, dir);
    EXPECT_EQ(def.source, (dir / "proofread.yaml").string());
    EXPECT_THROW(load_pipeline_file(dir / "missing.yaml"), PipelineError);
}

TEST(PipelineValidation, ShippedExamplesAreValid) {
    // The default config's models and its route `smart` (triage's large tier).
    const std::set<std::string> models{"gemma", "minilm", "smart"};
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "pipeline/examples")) {
        auto def = load_pipeline_file(entry.path());
        auto problems = check_pipeline(def, builtin_nodes(), [&](const std::string& m) { return models.count(m) != 0; });
        EXPECT_TRUE(problems.empty()) << entry.path() << ": " << (problems.empty() ? "" : problems[0]);
        ++checked;
    }
    EXPECT_GE(checked, 3);
}
