// Fuzzes what a remote provider reads from an upstream: the SSE decoder fed in arbitrary pieces,
// each event folded into a result as a chat.completion.chunk, the body read as a complete
// chat.completion, and the upstream error-message extractor. Invariant checked: the events do
// not depend on how the bytes were split into reads.
#include "providers/openai_stream.h"
#include "wire/sse_decoder.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

using namespace switchyard::providers;
using switchyard::wire::SseDecoder;

namespace {

std::vector<std::string> decode(std::string_view bytes, const std::vector<std::size_t>& cuts, ProviderResult* r) {
    SseDecoder dec;
    std::vector<std::string> events;
    std::size_t pos = 0;
    auto drain = [&] {
        std::string data;
        while (dec.next(data)) {
            if (r && data != "[DONE]") accumulate_chunk(json::parse(data, nullptr, false), *r);
            events.push_back(std::move(data));
        }
    };
    for (std::size_t cut : cuts) {
        std::size_t n = std::min(cut, bytes.size() - pos);
        dec.feed(bytes.substr(pos, n));
        pos += n;
        drain();
    }
    dec.feed(bytes.substr(pos));
    drain();
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first bytes choose the read sizes (1..16 bytes each); the rest is the stream.
    std::size_t ncuts = size > 0 ? data[0] % 8 : 0;
    std::vector<std::size_t> cuts;
    std::size_t used = size > 0 ? 1 : 0;
    for (std::size_t i = 0; i < ncuts && used < size; ++i) cuts.push_back(1 + data[used++] % 16);
    std::string_view stream(reinterpret_cast<const char*>(data) + used, size - used);

    ProviderResult folded;
    auto whole = decode(stream, {}, nullptr);
    auto pieces = decode(stream, cuts, &folded);
    if (whole != pieces) std::abort();
    (void)folded.tool_calls.dump(-1, ' ', false, json::error_handler_t::replace);

    ProviderResult complete;
    std::string why;
    (void)read_completion(json::parse(stream, nullptr, false), complete, why);
    json error_body;
    (void)upstream_error_message(std::string(stream), error_body);
    return 0;
}
