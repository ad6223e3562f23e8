// pdf: the text layer of each page (poppler-cpp). Pages with no text (scans) are rendered at
// `dpi` and, when built with Tesseract, recognised by OCR; with `image_dir` set their images are
// also written there as PNG and listed in the `images` output (e.g. for a mapped ocr node with
// other settings).
#include "pipeline/confinement.h"
#include "pipeline/nodes/nodes.h"
#ifdef SWITCHYARD_PIPELINE_OCR
#include "pipeline/nodes/ocr.h"
#endif

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>

namespace switchyard::pipeline::nodes {

namespace {

std::string utf8(const poppler::ustring& s) {
    auto bytes = s.to_utf8();
    return std::string(bytes.begin(), bytes.end());
}

bool blank(const std::string& s) {
    return s.find_first_not_of(" \t\r\n\f") == std::string::npos;
}

}  // namespace

NodeType pdf_node() {
    NodeType t;
    t.name = "pdf";
    t.description = "Reads a PDF: text per page, OCR for pages without a text layer";
    t.params = {{"ocr", ParamKind::boolean, false, false, "OCR pages without text (default true when built with Tesseract)"},
                {"lang", ParamKind::string, false, false, "OCR language, default eng"},
                {"dpi", ParamKind::integer, false, false, "render resolution for pages without text (default 300)"},
                {"image_dir", ParamKind::string, false, false, "also save pages without text there as PNG"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"file", ValueType::of(ValueKind::text)}};
        s.outputs = {{"document", ValueType::of(ValueKind::document)}, {"text", ValueType::of(ValueKind::text)},
                     {"pages", ValueType::list_of(ValueKind::text)}, {"images", ValueType::list_of(ValueKind::image)}};
        return s;
    };
    // The input is a path: a PDF replaced under the same name must not be answered from the cache.
    t.cache_extra = [](const std::map<std::string, json>& inputs, const std::filesystem::path& base_dir) -> json {
        auto it = inputs.find("file");
        if (it == inputs.end() || !it->second.is_string()) return nullptr;
        std::filesystem::path file = it->second.get<std::string>();
        if (file.is_relative() && !base_dir.empty()) file = base_dir / file;
        std::error_code ec;
        auto size = std::filesystem::file_size(file, ec);
        if (ec) return nullptr;
        auto mtime = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
        return {{"size", size}, {"mtime", ec ? 0 : static_cast<long long>(mtime)}};
    };
    t.run = [](NodeContext& ctx) {
        std::filesystem::path file = ctx.input_path(ctx.text_input("file"), "pdf: file");
        std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(file.string()));
        if (!doc) throw NodeError("pdf: cannot open " + file.string() + " (missing or not a PDF)");
        if (doc->is_locked()) throw NodeError("pdf: " + file.string() + " is password-protected");
#ifdef SWITCHYARD_PIPELINE_OCR
        const bool ocr = ctx.params.value("ocr", true);
#else
        if (ctx.params.value("ocr", false)) throw NodeError("pdf: this build has no OCR (install libtesseract-dev and rebuild)");
        const bool ocr = false;
#endif
        const int dpi = static_cast<int>(ctx.int_param("dpi", 300));
        const std::string image_dir = ctx.string_param("image_dir");
        poppler::page_renderer renderer;
        renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
        renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
        renderer.set_image_format(poppler::image::format_gray8);
        json pages = json::array(), texts = json::array(), images = json::array();
        std::string all;
        for (int i = 0; i < doc->pages(); ++i) {
            if (ctx.cancelled.load()) throw NodeError("cancelled");
            std::unique_ptr<poppler::page> page(doc->create_page(i));
            std::string text = page ? utf8(page->text(poppler::rectf(), poppler::page::physical_layout)) : "";
            bool from_ocr = false;
            if (page && blank(text) && (ocr || !image_dir.empty())) {
                poppler::image img = renderer.render_page(page.get(), dpi, dpi);
                if (!img.is_valid()) throw NodeError("pdf: could not render page " + std::to_string(i + 1));
                if (!image_dir.empty()) {
                    std::filesystem::path dir = image_dir;
                    if (dir.is_relative() && !ctx.base_dir.empty()) dir = ctx.base_dir / dir;
                    std::filesystem::create_directories(dir);
                    auto png = dir / (file.stem().string() + "-page-" + std::to_string(i + 1) + ".png");
                    if (!img.save(png.string(), "png", dpi)) throw NodeError("pdf: could not write " + png.string());
                    images.push_back({{"path", png.string()}, {"page", i + 1}});
                }
#ifdef SWITCHYARD_PIPELINE_OCR
                if (ocr) {
                    text = ocr_pixels(reinterpret_cast<const unsigned char*>(img.const_data()), img.width(), img.height(), 1,
                                      img.bytes_per_row(), ctx.string_param("lang", "eng"));
                    from_ocr = true;
                }
#endif
            }
            pages.push_back({{"page", i + 1}, {"text", text}, {"ocr", from_ocr}});
            texts.push_back(text);
            all += (all.empty() ? "" : "\n\f\n") + text;   // form feed marks page breaks, as pdftotext does
        }
        json document = {{"source", file.string()}, {"pages", pages}, {"text", all}};
        return NodeOutputs{{"document", document}, {"text", all}, {"pages", texts}, {"images", images}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
