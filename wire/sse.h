// Server-sent events framing for streamed completions, as OpenAI sends them:
// "data: <json>\n\n" per chunk and a final "data: [DONE]\n\n".
#pragma once

#include <string>
#include <string_view>

namespace switchyard::wire {

// One SSE event. Multi-line payloads get one "data:" line per line, per the SSE spec.
inline std::string sse_event(std::string_view data) {
    std::string out;
    out.reserve(data.size() + 8);
    std::size_t start = 0;
    for (;;) {
        std::size_t nl = data.find('\n', start);
        out += "data: ";
        out.append(data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
        out += '\n';
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    out += '\n';
    return out;
}

inline std::string sse_done() { return "data: [DONE]\n\n"; }

}  // namespace switchyard::wire
