// ocr: text from an image with Tesseract (C++ API, leptonica for decoding PNG/JPEG/TIFF).
// An image value is {"path": file} (relative to the pipeline file) or {"base64": bytes}.
#include "pipeline/confinement.h"
#include "pipeline/nodes/nodes.h"
#include "pipeline/nodes/ocr.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>

#include <memory>

namespace switchyard::pipeline::nodes {

namespace {

std::string decode_base64(const std::string& in) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int value = 0, bits = -8;
    for (unsigned char c : in) {
        auto pos = alphabet.find(static_cast<char>(c));
        if (pos == std::string::npos) continue;   // padding, newlines
        value = (value << 6) + static_cast<int>(pos);
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((value >> bits) & 0xFF));
            bits -= 8;
        }
    }
    return out;
}

struct PixDeleter {
    void operator()(Pix* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// One engine per call: Init costs ~0.1 s, small next to recognition, and TessBaseAPI is not
// safe to share between the threads of a mapped node.
template <class SetImage>
std::string recognise(const std::string& lang, SetImage set_image) {
    tesseract::TessBaseAPI api;
    // nullptr data path: Tesseract's compiled-in default or TESSDATA_PREFIX.
    if (api.Init(nullptr, lang.c_str()) != 0)
        throw NodeError("ocr: Tesseract could not load language '" + lang + "' (install tesseract-ocr-" + lang + ")");
    set_image(api);
    std::unique_ptr<char[]> text(api.GetUTF8Text());
    api.End();
    if (!text) throw NodeError("ocr: Tesseract failed to recognise the image");
    return text.get();
}

}  // namespace

std::string ocr_pixels(const unsigned char* pixels, int width, int height, int bytes_per_pixel, int bytes_per_line,
                       const std::string& lang) {
    return recognise(lang, [&](tesseract::TessBaseAPI& api) { api.SetImage(pixels, width, height, bytes_per_pixel, bytes_per_line); });
}

NodeType ocr_node() {
    NodeType t;
    t.name = "ocr";
    t.description = "Recognises the text in an image (Tesseract)";
    t.params = {{"lang", ParamKind::string, false, false, "Tesseract language, default eng"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.inputs = {{"image", ValueType::of(ValueKind::image)}};
        s.outputs = {{"text", ValueType::of(ValueKind::text)}};
        return s;
    };
    t.run = [](NodeContext& ctx) {
        const json& image = ctx.input("image");
        PixPtr pix;
        std::string what;
        if (image.contains("path")) {
            std::filesystem::path p = ctx.input_path(image["path"].get<std::string>(), "ocr: image");
            what = p.string();
            pix.reset(pixRead(p.c_str()));
        } else {
            auto bytes = decode_base64(image["base64"].get<std::string>());
            what = "base64 image";
            pix.reset(pixReadMem(reinterpret_cast<const l_uint8*>(bytes.data()), bytes.size()));
        }
        if (!pix) throw NodeError("ocr: cannot read " + what + " (PNG, JPEG, TIFF, PNM are supported)");
        return NodeOutputs{{"text", recognise(ctx.string_param("lang", "eng"), [&](tesseract::TessBaseAPI& api) { api.SetImage(pix.get()); })}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
