// pdf and ocr nodes (built only with poppler-cpp / Tesseract). The test PDFs are written here
// by hand: one with a text layer, and a "scan" whose only page is an image of rendered text.
#include "pipeline_test_support.h"

#include <gtest/gtest.h>

#ifdef SWITCHYARD_PIPELINE_PDF
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>
#endif

#include <cstdio>
#include <fstream>

using namespace switchyard::pipeline;
using namespace switchyard::pipeline::testing;

namespace {

struct PdfPage {
    std::string text;                  // drawn with Helvetica, so it is in the text layer
    std::vector<unsigned char> gray;   // or: a full-page grayscale image (no text layer)
    int width = 0, height = 0;
};

// A minimal valid PDF 1.4: catalog, pages, one font, and per page a page object, its content
// stream and an optional image XObject, with a correct xref table.
std::string make_pdf(const std::vector<PdfPage>& pages) {
    std::vector<std::string> objects(3 + 3 * pages.size());
    std::string kids;
    for (std::size_t i = 0; i < pages.size(); ++i) kids += std::to_string(4 + 3 * i) + " 0 R ";
    objects[0] = "<< /Type /Catalog /Pages 2 0 R >>";
    objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>";
    objects[2] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    auto stream = [](const std::string& dict, const std::string& data) {
        return "<< " + dict + " /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
    };
    for (std::size_t i = 0; i < pages.size(); ++i) {
        const auto& p = pages[i];
        const auto page = 4 + 3 * i, content = page + 1, image = page + 2;
        objects[page - 1] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " + std::to_string(content) +
                            " 0 R /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 " + std::to_string(image) + " 0 R >> >> >>";
        if (p.gray.empty()) {
            objects[content - 1] = stream("", "BT /F1 36 Tf 72 700 Td (" + p.text + ") Tj ET");
            objects[image - 1] = "null";
        } else {
            objects[content - 1] = stream("", "q 612 0 0 792 0 0 cm /Im1 Do Q");
            objects[image - 1] = stream("/Type /XObject /Subtype /Image /Width " + std::to_string(p.width) + " /Height " +
                                            std::to_string(p.height) + " /ColorSpace /DeviceGray /BitsPerComponent 8",
                                        std::string(p.gray.begin(), p.gray.end()));
        }
    }
    std::string pdf = "%PDF-1.4\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
        pdf += line;
    }
    pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return pdf;
}

PdfPage text_page(const std::string& text) {
    PdfPage p;
    p.text = text;
    return p;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

RunResult run(const std::string& yaml, const json& inputs, const std::filesystem::path& base) {
    FakeServices services;
    return Executor(builtin_nodes(), services).run(parse(yaml, base), inputs);
}

#ifdef SWITCHYARD_PIPELINE_PDF
// Renders a text page with poppler: the pixels a scanner would have produced.
PdfPage scanned_page(const std::filesystem::path& dir, const std::string& text) {
    write_file(dir / "source.pdf", make_pdf({text_page(text)}));
    std::unique_ptr<poppler::document> doc(poppler::document::load_from_file((dir / "source.pdf").string()));
    std::unique_ptr<poppler::page> page(doc->create_page(0));
    poppler::page_renderer renderer;
    renderer.set_image_format(poppler::image::format_gray8);
    renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
    auto img = renderer.render_page(page.get(), 150, 150);
    PdfPage scan;
    scan.width = img.width();
    scan.height = img.height();
    for (int y = 0; y < img.height(); ++y) {
        auto row = reinterpret_cast<const unsigned char*>(img.const_data()) + y * img.bytes_per_row();
        scan.gray.insert(scan.gray.end(), row, row + img.width());
    }
    return scan;
}
#endif

}  // namespace

#ifdef SWITCHYARD_PIPELINE_PDF
TEST(PipelinePdfNode, ReadsTheTextLayerPerPage) {
    auto dir = temp_dir("pdf");
    write_file(dir / "two.pdf", make_pdf({text_page("First page here"), text_page("Second page here")}));
    auto r = run("name: p\ninputs: {f: text}\nnodes:\n  read: {type: pdf, params: {ocr: false}, inputs: {file: $inputs.f}}\n"
                 "outputs: {pages: read.pages, doc: read.document}\n", {{"f", "two.pdf"}}, dir);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.outputs["pages"].size(), 2u);
    EXPECT_NE(r.outputs["pages"][0].get<std::string>().find("First page here"), std::string::npos) << r.outputs.dump();
    EXPECT_NE(r.outputs["pages"][1].get<std::string>().find("Second page here"), std::string::npos);
    EXPECT_EQ(r.outputs["doc"]["pages"][1]["page"], 2);
    auto missing = run("name: p\nnodes:\n  read: {type: pdf, inputs: {file: $inputs.f}}\ninputs: {f: text}\noutputs: {o: read.text}\n",
                       {{"f", "nope.pdf"}}, dir);
    EXPECT_FALSE(missing.ok);
    EXPECT_NE(missing.error.find("pdf: cannot open"), std::string::npos) << missing.error;
}
#endif

#ifdef SWITCHYARD_PIPELINE_PDF
TEST(PipelinePdfNode, AReplacedFileIsReadAgainNotServedFromTheCache) {
    auto dir = temp_dir("pdf-replaced");
    const std::string yaml = "name: p\ninputs: {f: text}\nnodes:\n  read: {type: pdf, params: {ocr: false}, inputs: {file: $inputs.f}}\n"
                             "outputs: {text: read.text}\n";
    FakeServices services;
    NodeCache cache;
    RunOptions opt;
    opt.cache = &cache;
    auto def = parse(yaml, dir);
    write_file(dir / "doc.pdf", make_pdf({text_page("Version one")}));
    auto first = Executor(builtin_nodes(), services).run(def, {{"f", "doc.pdf"}}, opt);
    ASSERT_TRUE(first.ok) << first.error;
    auto again = Executor(builtin_nodes(), services).run(def, {{"f", "doc.pdf"}}, opt);
    EXPECT_EQ(again.node("read")->status, NodeStatus::cached);
    write_file(dir / "doc.pdf", make_pdf({text_page("Version two, a longer page")}));  // same path, new content
    auto replaced = Executor(builtin_nodes(), services).run(def, {{"f", "doc.pdf"}}, opt);
    ASSERT_TRUE(replaced.ok) << replaced.error;
    EXPECT_EQ(replaced.node("read")->status, NodeStatus::ok);
    EXPECT_NE(replaced.outputs["text"].get<std::string>().find("Version two"), std::string::npos) << replaced.outputs.dump();
}
#endif

#if defined(SWITCHYARD_PIPELINE_PDF) && defined(SWITCHYARD_PIPELINE_OCR)
TEST(PipelinePdfNode, OcrsPagesWithoutText) {
    auto dir = temp_dir("scan");
    write_file(dir / "scan.pdf", make_pdf({text_page("Cover text"), scanned_page(dir, "Invoice total 42")}));
    auto r = run("name: p\ninputs: {f: text}\nnodes:\n  read: {type: pdf, params: {dpi: 200, image_dir: pages}, inputs: {file: $inputs.f}}\n"
                 "outputs: {doc: read.document, images: read.images}\n", {{"f", "scan.pdf"}}, dir);
    ASSERT_TRUE(r.ok) << r.error;
    const auto& pages = r.outputs["doc"]["pages"];
    EXPECT_EQ(pages[0]["ocr"], false);
    EXPECT_EQ(pages[1]["ocr"], true);
    EXPECT_NE(pages[1]["text"].get<std::string>().find("Invoice total 42"), std::string::npos) << pages.dump();
    ASSERT_EQ(r.outputs["images"].size(), 1u);
    EXPECT_TRUE(std::filesystem::exists(r.outputs["images"][0]["path"].get<std::string>()));

    // The saved page image through the ocr node.
    auto ocr = run("name: o\ninputs: {img: image}\nnodes:\n  read: {type: ocr, inputs: {image: $inputs.img}}\noutputs: {o: read.text}\n",
                   {{"img", {{"path", r.outputs["images"][0]["path"]}}}}, dir);
    ASSERT_TRUE(ocr.ok) << ocr.error;
    EXPECT_NE(ocr.outputs["o"].get<std::string>().find("Invoice total 42"), std::string::npos) << ocr.outputs.dump();
}
#endif

TEST(PipelineDocumentNodes, RegisteredWhenBuiltIn) {
#ifdef SWITCHYARD_PIPELINE_PDF
    EXPECT_NE(builtin_nodes().find("pdf"), nullptr);
#endif
#ifdef SWITCHYARD_PIPELINE_OCR
    EXPECT_NE(builtin_nodes().find("ocr"), nullptr);
#endif
    EXPECT_NE(builtin_nodes().find("chunk"), nullptr);
}
