// Tesseract OCR shared by the ocr node and the pdf node (pages without a text layer).
#pragma once

#include <string>

namespace switchyard::pipeline::nodes {

// Recognises text in raw pixels (bytes_per_pixel 1 = gray, 3 = RGB, 4 = RGBA). lang: Tesseract
// language code(s) such as "eng" or "eng+deu"; the traineddata must be installed
// (Debian: tesseract-ocr-eng). Throws NodeError on failure.
std::string ocr_pixels(const unsigned char* pixels, int width, int height, int bytes_per_pixel, int bytes_per_line,
                       const std::string& lang);

}  // namespace switchyard::pipeline::nodes
