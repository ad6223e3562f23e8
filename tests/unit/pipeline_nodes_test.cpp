// The built-in node types, each run through the executor with the fake model service.
#include "pipeline/nodes/nodes.h"
#include "pipeline/text_template.h"
#include "pipeline/vector_store.h"
#include "pipeline_test_support.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace switchyard::pipeline;
using namespace switchyard::pipeline::testing;

namespace {

RunResult run(FakeServices& services, const std::string& yaml, const json& inputs, const std::filesystem::path& base = {}) {
    Executor executor(builtin_nodes(), services);
    return executor.run(parse(yaml, base), inputs);
}

// Answers one HTTP request with a JSON echo of the method, path and body; for the http node.
class OneShotServer {
public:
    OneShotServer() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        listen(fd_, 1);
        thread_ = std::thread([this] { serve(); });
    }
    ~OneShotServer() {
        thread_.join();
        close(fd_);
    }
    int port() const { return port_; }
private:
    void serve() {
        int c = accept(fd_, nullptr, nullptr);
        std::string req;
        char buf[4096];
        for (;;) {
            auto n = recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            req.append(buf, n);
            auto end = req.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            auto cl = req.find("Content-Length: ");
            std::size_t body_len = cl == std::string::npos ? 0 : std::stoul(req.substr(cl + 16));
            if (req.size() >= end + 4 + body_len) break;
        }
        auto end = req.find("\r\n\r\n");
        json echo = {{"request_line", req.substr(0, req.find("\r\n"))}, {"body", req.substr(end + 4)}};
        std::string body = echo.dump();
        std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body;
        send(c, resp.data(), resp.size(), 0);
        close(c);
    }
    int fd_;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace

TEST(PipelineTemplateNode, RendersVariablesAndFields) {
    std::map<std::string, json> vars{{"name", "Ada"}, {"person", {{"born", 1815}, {"tags", {"math", "poetry"}}}}, {"list", {"a", "b"}}};
    EXPECT_EQ(render_template("Hi {{name}}, born {{ person.born }}, {{person.tags.1}}\n{{list}}", vars), "Hi Ada, born 1815, poetry\na\nb");
    EXPECT_EQ(render_template("{{person}}", vars), R"({"born":1815,"tags":["math","poetry"]})");
    EXPECT_THROW(render_template("{{nobody}}", vars), NodeError);
    EXPECT_THROW(render_template("{{person.died}}", vars), NodeError);
    EXPECT_THROW(render_template("{{name", vars), NodeError);
    EXPECT_EQ(template_variables("{{a.b}} {{c}} {{a}}"), (std::vector<std::string>{"a", "c"}));

    FakeServices services;
    auto r = run(services, "name: t\ninputs: {n: text}\nnodes:\n  t: {type: template, params: {template: \"<{{n}}>\"}, inputs: {n: $inputs.n}}\noutputs: {o: t.text}\n",
                 {{"n", "x"}});
    EXPECT_EQ(r.outputs["o"], "<x>");
}

TEST(PipelineLlmNode, JsonSchemaAddsAJsonOutput) {
    FakeServices services;
    services.answer = [](const json&) { return std::string(R"({"name":"Ada","born":1815})"); };
    auto r = run(services, R"(name: l
inputs: {t: text}
nodes:
  who:
    type: llm
    params:
      model: m
      system: "You extract people."
      prompt: "Who is in: {{t}}"
      max_tokens: 40
      seed: 7
      json_schema: {type: object, properties: {name: {type: string}, born: {type: integer}}}
    inputs: {t: $inputs.t}
outputs: {person: who.json, raw: who.text}
)", {{"t", "Ada Lovelace was born in 1815."}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["person"]["born"], 1815);
    const json& req = services.chats.at(0);
    EXPECT_EQ(req["model"], "m");
    EXPECT_EQ(req["max_tokens"], 40);
    EXPECT_EQ(req["seed"], 7);
    EXPECT_EQ(req["messages"][0]["content"], "You extract people.");
    EXPECT_EQ(req["messages"][1]["content"], "Who is in: Ada Lovelace was born in 1815.");
    EXPECT_EQ(req["response_format"]["type"], "json_schema");
    EXPECT_EQ(req["response_format"]["json_schema"]["schema"]["properties"]["born"]["type"], "integer");
}

TEST(PipelineExtractNode, SendsTheSchemaAndParsesTheAnswer) {
    FakeServices services;
    services.answer = [](const json&) { return std::string(R"({"total": 12.5})"); };
    const std::string yaml = R"(name: e
inputs: {t: text}
nodes:
  x: {type: extract, params: {model: m, schema: {type: object, properties: {total: {type: number}}}, instructions: "Find the total."}, inputs: {text: $inputs.t}}
outputs: {o: x.json}
)";
    auto r = run(services, yaml, {{"t", "Total due: 12.50"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["o"]["total"], 12.5);
    EXPECT_NE(last_user_message(services.chats[0]).find("Find the total."), std::string::npos);
    EXPECT_NE(last_user_message(services.chats[0]).find("Total due: 12.50"), std::string::npos);
    services.answer = [](const json&) { return std::string("not json"); };
    auto bad = run(services, yaml, {{"t", "other"}});
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("node 'x' (extract): model answer is not valid JSON: not json"), std::string::npos) << bad.error;
}

TEST(PipelineClassifyNode, ByConstrainedLlm) {
    FakeServices services;
    services.answer = [](const json&) { return std::string(R"({"label":"tech"})"); };
    auto r = run(services, R"(name: c
inputs: {t: text}
nodes:
  k: {type: classify, params: {model: m, labels: {billing: "invoices and refunds", tech: "bugs and crashes"}}, inputs: {text: $inputs.t}}
outputs: {label: k.label, scores: k.scores}
)", {{"t", "the app crashes"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["label"], "tech");
    EXPECT_EQ(r.outputs["scores"]["billing"], 0.0);
    const auto& schema = services.chats[0]["response_format"]["json_schema"]["schema"];
    EXPECT_EQ(schema["properties"]["label"]["enum"], json({"billing", "tech"}));
    EXPECT_NE(last_user_message(services.chats[0]).find("- billing: invoices and refunds"), std::string::npos);
}

TEST(PipelineClassifyNode, ByEmbeddingSimilarity) {
    FakeServices services;
    auto r = run(services, R"(name: c
inputs: {t: text}
nodes:
  k: {type: classify, params: {model: emb, method: embedding, labels: [zzz, aaa]}, inputs: {text: $inputs.t}}
outputs: {label: k.label}
)", {{"t", "banana"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["label"], "aaa");
    EXPECT_EQ(services.chat_count(), 0);
    EXPECT_EQ(services.embeds.at(0), (std::vector<std::string>{"banana", "zzz", "aaa"}));
}

TEST(PipelineEmbedNode, OneVectorPerText) {
    FakeServices services;
    auto r = run(services, "name: e\ninputs: {t: list<text>}\nnodes:\n  e: {type: embed, params: {model: emb}, inputs: {text: $inputs.t}, map: text}\noutputs: {o: e.embedding}\n",
                 {{"t", {"ab", "b"}}});
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.outputs["o"].size(), 2u);
    EXPECT_EQ(r.outputs["o"][0][0], 1.0);
    EXPECT_EQ(r.outputs["o"][1][0], 0.0);
}

TEST(PipelineChunkNode, WordsAndSentencesWithOverlap) {
    EXPECT_EQ(nodes::chunk_text("a b c d e", "words", 2, 1), (std::vector<std::string>{"a b", "b c", "c d", "d e"}));
    EXPECT_EQ(nodes::chunk_text("a b c d e", "words", 3, 0), (std::vector<std::string>{"a b c", "d e"}));
    EXPECT_EQ(nodes::chunk_text("", "words", 3, 0), std::vector<std::string>{});
    EXPECT_EQ(nodes::chunk_text("One. Two!  Three? Four 4.5 five.\n\nHeading\n\nLast", "sentences", 2, 1),
              (std::vector<std::string>{"One. Two!", "Two! Three?", "Three? Four 4.5 five.", "Four 4.5 five. Heading", "Heading Last"}));
    FakeServices services;
    auto r = run(services, "name: c\ninputs: {t: text}\nnodes:\n  c: {type: chunk, params: {size: 3, overlap: 1}, inputs: {text: $inputs.t}}\noutputs: {o: c.chunks}\n",
                 {{"t", "a b c d e"}});
    EXPECT_EQ(r.outputs["o"], json({"a b c", "c d e"}));
}

TEST(PipelineIndexRetrieve, IndexesIdempotentlyAndRetrievesNearest) {
    auto dir = temp_dir("index");
    const std::string yaml = R"(name: rag
inputs: {doc: text, q: text}
nodes:
  pieces: {type: chunk, params: {by: sentences, size: 1, overlap: 0}, inputs: {text: $inputs.doc}}
  store: {type: index, params: {db: vectors.db, collection: notes, model: emb}, inputs: {chunks: pieces.chunks}}
  find: {type: retrieve, params: {db: vectors.db, model: emb, top_k: 2}, inputs: {query: $inputs.q, collection: store.collection}}
outputs: {chunks: find.chunks, context: find.context, added: store.added, matches: find.matches}
)";
    FakeServices services;
    const json inputs = {{"doc", "Cats purr softly. Dogs bark loudly. Fish swim quietly."}, {"q", "dogs barking"}};
    NodeCache cache;
    Executor executor(builtin_nodes(), services);
    RunOptions options;
    options.cache = &cache;
    auto r = executor.run(parse(yaml, dir), inputs, options);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["added"], 3);
    EXPECT_EQ(r.outputs["chunks"][0], "Dogs bark loudly.");
    EXPECT_EQ(r.outputs["chunks"].size(), 2u);
    EXPECT_GT(r.outputs["matches"][0]["score"].get<double>(), r.outputs["matches"][1]["score"].get<double>());
    EXPECT_EQ(r.outputs["matches"][0]["metadata"]["chunk"], 1);
    EXPECT_TRUE(std::filesystem::exists(dir / "vectors.db")) << "db path is relative to the pipeline file";
    // Re-run: index and retrieve run again (they read the database) but embed nothing new.
    const auto embeds_before = services.embeds.size();
    auto again = executor.run(parse(yaml, dir), inputs, options);
    EXPECT_EQ(again.node("store")->status, NodeStatus::ok);
    EXPECT_EQ(again.node("pieces")->status, NodeStatus::cached);
    EXPECT_EQ(again.outputs["added"], 0);
    EXPECT_EQ(services.embeds.size(), embeds_before + 1) << "only the query is embedded";
    VectorStore store(dir / "vectors.db");
    EXPECT_EQ(store.count("notes"), 3);
    EXPECT_TRUE(store.search("notes", "other-model", std::vector<float>(26, 1.0f), 5).empty());
}

TEST(PipelineHttpNode, PostsARenderedJsonBody) {
    OneShotServer server;
    FakeServices services;
    auto r = run(services, R"(name: h
inputs: {t: text}
nodes:
  call:
    type: http
    params: {method: post, url: "http://127.0.0.1:)" + std::to_string(server.port()) + R"(/v1/{{t}}", body: {query: "{{t}}", n: 3}}
    inputs: {t: $inputs.t}
outputs: {o: call.json, status: call.status}
)", {{"t", "abc"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["status"], 200);
    EXPECT_EQ(r.outputs["o"]["request_line"], "POST /v1/abc HTTP/1.1");
    EXPECT_EQ(json::parse(r.outputs["o"]["body"].get<std::string>()), json({{"query", "abc"}, {"n", 3}}));
}

TEST(PipelineHttpNode, ConnectionErrorsNameTheUrl) {
    FakeServices services;
    auto r = run(services, "name: h\nnodes:\n  call: {type: http, params: {url: \"http://127.0.0.1:1/x\", timeout_s: 2}}\noutputs: {o: call.json}\n", {});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("node 'call' (http): http GET http://127.0.0.1:1/x: "), std::string::npos) << r.error;
}
