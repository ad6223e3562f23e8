// files: lists a folder for ingestion, sorted into images (for ocr), PDFs (for pdf) and plain
// text files. page_chunks: turns what those nodes read into chunks that remember their file and
// page, so that retrieval results can cite their source from metadata, not from model prose.
//
// files is never cached: its result depends on the folder, which the cache cannot see. Each
// image value carries the file's size and modification time, so the cache keys of a mapped ocr
// node change when a scan is replaced, even though its path stays the same.
#include "pipeline/confinement.h"
#include "pipeline/nodes/nodes.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <sstream>

namespace switchyard::pipeline::nodes {

namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& p) {
    auto ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

bool is_image(const std::string& ext) {
    // What leptonica (the ocr node's decoder) reads.
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" || ext == ".pnm" ||
           ext == ".pgm" || ext == ".ppm" || ext == ".pbm" || ext == ".bmp" || ext == ".gif" || ext == ".webp";
}

bool is_text(const std::string& ext) { return ext == ".txt" || ext == ".md"; }

long long mtime_ns(const fs::path& p) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(p).time_since_epoch()).count();
}

NodeOutputs run_files(NodeContext& ctx) {
    fs::path dir = ctx.input_path(ctx.text_input("dir"), "files: folder");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw NodeError("files: " + dir.string() + " is not a folder");
    std::vector<std::string> wanted;
    for (const auto& e : ctx.params.value("extensions", json::array())) {
        std::string ext = e.get<std::string>();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        wanted.push_back(ext.empty() || ext[0] == '.' ? ext : "." + ext);
    }
    std::vector<fs::path> found;
    auto consider = [&](const fs::directory_entry& entry) {
        if (!entry.is_regular_file()) return;
        if (entry.path().filename().string().starts_with(".")) return;   // editor swap files, .DS_Store
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), lower_extension(entry.path())) == wanted.end()) return;
        // A symlink inside the folder may point out of the allowed folders: checked like the folder.
        if (entry.is_symlink()) ctx.input_path(entry.path(), "files: entry");
        found.push_back(fs::absolute(entry.path()).lexically_normal());
    };
    if (ctx.params.value("recursive", false))
        for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied)) consider(entry);
    else
        for (const auto& entry : fs::directory_iterator(dir)) consider(entry);
    std::sort(found.begin(), found.end());   // stable order: stable cache keys and chunk ids
    json files = json::array(), images = json::array(), pdfs = json::array(), texts = json::array();
    for (const auto& p : found) {
        const auto ext = lower_extension(p);
        files.push_back(p.string());
        if (is_image(ext)) images.push_back({{"path", p.string()}, {"size", fs::file_size(p)}, {"mtime_ns", mtime_ns(p)}});
        else if (ext == ".pdf") pdfs.push_back(p.string());
        else if (is_text(ext)) texts.push_back(p.string());
    }
    if (files.empty() && !ctx.params.value("allow_empty", false))
        throw NodeError("files: no matching files in " + dir.string());
    return {{"files", files}, {"images", images}, {"pdfs", pdfs}, {"texts", texts}, {"count", static_cast<int>(files.size())}};
}

struct Page {
    std::string path;
    int page = 1;
    std::string text;
};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw NodeError("page_chunks: cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

NodeOutputs run_page_chunks(NodeContext& ctx) {
    std::vector<Page> pages;
    if (ctx.has_input("documents"))
        for (const auto& doc : ctx.input("documents")) {
            const std::string source = doc.value("source", std::string());
            if (doc.contains("pages") && doc["pages"].is_array())
                for (const auto& p : doc["pages"]) pages.push_back({source, p.value("page", 1), p.value("text", std::string())});
            else
                pages.push_back({source, 1, doc.value("text", std::string())});
        }
    if (ctx.has_input("images") != ctx.has_input("image_texts"))
        throw NodeError("page_chunks: wire both images and image_texts (the ocr text of each image), or neither");
    if (ctx.has_input("images")) {
        const auto& images = ctx.input("images");
        const auto& texts = ctx.input("image_texts");
        if (images.size() != texts.size())
            throw NodeError("page_chunks: " + std::to_string(images.size()) + " images but " + std::to_string(texts.size()) + " image_texts");
        for (std::size_t i = 0; i < images.size(); ++i)
            pages.push_back({images[i].value("path", "image " + std::to_string(i + 1)), images[i].value("page", 1), texts[i].get<std::string>()});
    }
    if (ctx.has_input("text_files"))
        for (const auto& f : ctx.input("text_files"))
            pages.push_back({f.get<std::string>(), 1, read_file(ctx.input_path(f.get<std::string>(), "page_chunks: text file"))});

    const std::string by = ctx.string_param("by", "sentences");
    const bool sentences = by == "sentences";
    const auto size = ctx.int_param("size", sentences ? 3 : 120), overlap = ctx.int_param("overlap", sentences ? 1 : 20);
    if (size < 1 || overlap < 0 || overlap >= size) throw NodeError("page_chunks: need size >= 1 and 0 <= overlap < size");
    json chunks = json::array(), metadata = json::array(), listing = json::array();
    for (const auto& p : pages) {
        const std::string file = fs::path(p.path).filename().string();
        int n = 0;
        for (auto& c : chunk_text(p.text, by, size, overlap)) {
            chunks.push_back(c);
            metadata.push_back({{"file", file}, {"path", p.path}, {"page", p.page}});
            ++n;
        }
        listing.push_back({{"file", file}, {"path", p.path}, {"page", p.page}, {"chunks", n}, {"chars", p.text.size()}});
    }
    return {{"chunks", chunks}, {"metadata", metadata}, {"pages", listing}};
}

}  // namespace

NodeType files_node() {
    NodeType t;
    t.name = "files";
    t.description = "Lists a folder's files (sorted), split into images, PDFs and text files";
    t.params = {{"extensions", ParamKind::string_list, false, false, "only these extensions, e.g. [png, pdf] (default: all)"},
                {"recursive", ParamKind::boolean, false, false, "include sub-folders (default false)"},
                {"allow_empty", ParamKind::boolean, false, false, "an empty folder is not an error (default false)"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"dir", ValueType::of(ValueKind::text)}};
        s.outputs = {{"files", ValueType::list_of(ValueKind::text)}, {"images", ValueType::list_of(ValueKind::image)},
                     {"pdfs", ValueType::list_of(ValueKind::text)}, {"texts", ValueType::list_of(ValueKind::text)},
                     {"count", ValueType::of(ValueKind::json)}};
        return s;
    };
    t.cacheable = [](const json&) { return false; };
    t.run = run_files;
    return t;
}

NodeType page_chunks_node() {
    NodeType t;
    t.name = "page_chunks";
    t.description = "Chunks the pages of documents, OCR'd images and text files; each chunk's metadata names its file and page";
    t.params = {{"by", ParamKind::string, false, false, "sentences (default) or words"},
                {"size", ParamKind::integer, false, false, "units per chunk (default 3 sentences / 120 words)"},
                {"overlap", ParamKind::integer, false, false, "units shared by neighbouring chunks (default 1 sentence / 20 words)"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"documents", ValueType::list_of(ValueKind::document), false},
                    {"images", ValueType::list_of(ValueKind::image), false},
                    {"image_texts", ValueType::list_of(ValueKind::text), false},
                    {"text_files", ValueType::list_of(ValueKind::text), false}};
        s.outputs = {{"chunks", ValueType::list_of(ValueKind::text)}, {"metadata", ValueType::list_of(ValueKind::json)},
                     {"pages", ValueType::list_of(ValueKind::json)}};
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>& wired, const ProblemSink& problem) {
        auto by = params.value("by", std::string("sentences"));
        if (by != "words" && by != "sentences") problem("by", "must be 'words' or 'sentences', got '" + by + "'");
        const bool has_images = std::find(wired.begin(), wired.end(), "images") != wired.end();
        const bool has_texts = std::find(wired.begin(), wired.end(), "image_texts") != wired.end();
        if (has_images != has_texts) problem("", "inputs images and image_texts go together (image_texts: the ocr text of each image)");
        if (wired.empty()) problem("", "wire at least one input: documents, images + image_texts, or text_files");
    };
    t.run = run_page_chunks;
    return t;
}

}  // namespace switchyard::pipeline::nodes
