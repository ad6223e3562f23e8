// The ingestion nodes (files, page_chunks), per-chunk metadata in index, and spelling, run
// through the executor with the fake model service.
#include "pipeline/vector_store.h"
#include "pipeline_test_support.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace switchyard::pipeline;
using namespace switchyard::pipeline::testing;

namespace {

RunResult run(FakeServices& services, const std::string& yaml, const json& inputs, const std::filesystem::path& base = {}) {
    Executor executor(builtin_nodes(), services);
    return executor.run(parse(yaml, base), inputs);
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

const char* kFiles = R"(name: f
inputs: {dir: text}
nodes:
  scan: {type: files, params: {extensions: [png, PDF, txt]}, inputs: {dir: $inputs.dir}}
outputs: {files: scan.files, images: scan.images, pdfs: scan.pdfs, texts: scan.texts, count: scan.count}
)";

}  // namespace

TEST(PipelineFilesNode, ListsSortedFilesByKind) {
    auto dir = temp_dir("files");
    for (const char* name : {"b.png", "a.PNG", "c.pdf", "notes.txt", "skip.docx", ".hidden.png"}) write(dir / name, "x");
    std::filesystem::create_directories(dir / "sub");
    write(dir / "sub" / "deep.png", "x");
    FakeServices services;
    auto r = run(services, kFiles, {{"dir", dir.string()}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["count"], 4);
    EXPECT_EQ(r.outputs["files"][0], (dir / "a.PNG").string());
    ASSERT_EQ(r.outputs["images"].size(), 2u);
    EXPECT_EQ(r.outputs["images"][1]["path"], (dir / "b.png").string());
    EXPECT_EQ(r.outputs["images"][1]["size"], 1) << "size and mtime make ocr cache keys follow the file";
    EXPECT_TRUE(r.outputs["images"][1].contains("mtime_ns"));
    EXPECT_EQ(r.outputs["pdfs"], json({(dir / "c.pdf").string()}));
    EXPECT_EQ(r.outputs["texts"], json({(dir / "notes.txt").string()}));
    EXPECT_EQ(r.node("scan")->status, NodeStatus::ok);

    auto again = run(services, kFiles, {{"dir", (dir / "missing").string()}});
    EXPECT_FALSE(again.ok);
    EXPECT_NE(again.error.find("is not a folder"), std::string::npos) << again.error;
}

TEST(PipelineFilesNode, RelativeFolderResolvesAgainstThePipelineFile) {
    auto dir = temp_dir("files-rel");
    std::filesystem::create_directories(dir / "docs");
    write(dir / "docs" / "x.txt", "x");
    FakeServices services;
    auto r = run(services, kFiles, {{"dir", "docs"}}, dir);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["texts"], json({(dir / "docs" / "x.txt").string()}));
}

TEST(PipelinePageChunks, ChunksKeepTheirFileAndPage) {
    auto dir = temp_dir("pages");
    write(dir / "t.txt", "Text one. Text two.");
    const std::string yaml = R"(name: p
inputs: {docs: list<document>, images: list<image>, texts: list<text>, files: list<text>}
nodes:
  pages: {type: page_chunks, params: {size: 1, overlap: 0}, inputs: {documents: $inputs.docs, images: $inputs.images, image_texts: $inputs.texts, text_files: $inputs.files}}
outputs: {chunks: pages.chunks, metadata: pages.metadata, pages: pages.pages}
)";
    json docs = json::array({{{"source", "/d/report.pdf"}, {"text", "x"},
                              {"pages", {{{"page", 1}, {"text", "Page one."}}, {{"page", 2}, {"text", "Page two. More."}}}}}});
    json images = json::array({{{"path", "/d/scan.png"}}});
    FakeServices services;
    auto r = run(services, yaml, {{"docs", docs}, {"images", images}, {"texts", {"Scanned words."}}, {"files", {(dir / "t.txt").string()}}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["chunks"], json({"Page one.", "Page two.", "More.", "Scanned words.", "Text one.", "Text two."}));
    EXPECT_EQ(r.outputs["metadata"][2], json({{"file", "report.pdf"}, {"path", "/d/report.pdf"}, {"page", 2}}));
    EXPECT_EQ(r.outputs["metadata"][3]["file"], "scan.png");
    EXPECT_EQ(r.outputs["pages"].size(), 4u);
    EXPECT_EQ(r.outputs["pages"][1]["chunks"], 2);

    auto bad = run(services, yaml, {{"docs", json::array()}, {"images", images}, {"texts", json::array()}, {"files", json::array()}});
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("1 images but 0 image_texts"), std::string::npos) << bad.error;
}

TEST(PipelinePageChunks, ImagesNeedTheirTexts) {
    auto problems = problems_of("name: p\ninputs: {i: list<image>}\nnodes:\n  p: {type: page_chunks, inputs: {images: $inputs.i}}\noutputs: {o: p.chunks}\n");
    EXPECT_NE(problems.find("p.yaml:4:"), std::string::npos) << problems;
    EXPECT_NE(problems.find("images and image_texts go together"), std::string::npos) << problems;
}

TEST(PipelineIndexRetrieve, PerChunkMetadataReachesTheMatches) {
    auto dir = temp_dir("index-meta");
    const std::string yaml = R"(name: m
inputs: {chunks: list<text>, meta: json, q: text}
nodes:
  store: {type: index, params: {db: v.db, collection: c, model: emb}, inputs: {chunks: $inputs.chunks, metadata: $inputs.meta}}
  find: {type: retrieve, params: {db: v.db, model: emb, top_k: 1}, inputs: {query: $inputs.q, collection: store.collection}}
outputs: {matches: find.matches}
)";
    FakeServices services;
    json meta = json::array({{{"file", "a.png"}, {"page", 1}}, {{"file", "b.pdf"}, {"page", 7}}});
    auto r = run(services, yaml, {{"chunks", {"cats purr", "dogs bark loudly"}}, {"meta", meta}, {"q", "dogs barking"}}, dir);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["matches"][0]["metadata"]["file"], "b.pdf");
    EXPECT_EQ(r.outputs["matches"][0]["metadata"]["page"], 7);
    EXPECT_EQ(r.outputs["matches"][0]["metadata"]["chunk"], 1);

    auto bad = run(services, yaml, {{"chunks", {"one"}}, {"meta", meta}, {"q", "x"}}, dir);
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.error.find("metadata is a list of 2 but there are 1 chunks"), std::string::npos) << bad.error;
}

TEST(PipelineSpellingNode, FixesWordsKeepingCaseAndTypography) {
    const std::string yaml = R"(name: s
inputs: {t: text}
nodes:
  fix: {type: spelling, params: {words: {teh: the, recieve: receive}}, inputs: {text: $inputs.t}}
outputs: {text: fix.text, fixes: fix.fixes}
)";
    FakeServices services;
    auto r = run(services, yaml, {{"t", "teh  cat will Recieve the the fish , i think.TEH END! ok"}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.outputs["text"], "The cat will Receive the fish, I think.THE END! Ok");
    EXPECT_EQ(r.outputs["fixes"][0], json({{"from", "teh"}, {"to", "the"}}));
    EXPECT_EQ(r.outputs["fixes"][1], json({{"from", "Recieve"}, {"to", "Receive"}}));
    // Words inside other words and non-ASCII text are left alone.
    auto r2 = run(services, yaml, {{"t", "Tehran and tromsø teh."}});
    EXPECT_EQ(r2.outputs["text"], "Tehran and tromsø the.");
    EXPECT_NE(problems_of("name: s\ninputs: {t: text}\nnodes:\n  f: {type: spelling, params: {words: {\"two words\": x}}, inputs: {text: $inputs.t}}\noutputs: {o: f.text}\n")
                  .find("must be a single word"), std::string::npos);
}
