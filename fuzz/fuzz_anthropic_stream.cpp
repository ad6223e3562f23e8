// Fuzzes what a remote provider with `api: anthropic` reads from an upstream and sends to it: the
// SSE decoder's events fed to the Messages stream decoder (its chunks folded into a result as the
// provider does), the body read as a complete Message, an error body, and the same bytes as a
// chat request translated into a Messages request. Invariants checked: no exception escapes,
// every chunk the decoder makes is a chat.completion.chunk, and a translated request has
// messages and max_tokens.
#include "providers/openai_stream.h"
#include "wire/anthropic_upstream.h"
#include "wire/sse_decoder.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace switchyard::providers;
using namespace switchyard::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    SseDecoder sse;
    sse.feed(bytes);
    AnthropicStreamDecoder decoder;
    ProviderResult folded;
    std::string event;
    while (sse.next(event)) {
        json parsed = json::parse(event, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) continue;
        for (const json& chunk : decoder.feed(parsed)) {
            if (chunk.value("object", "") != "chat.completion.chunk") std::abort();
            accumulate_chunk(chunk, folded);
        }
        if (decoder.failed()) (void)anthropic_error_to_openai(decoder.error());
    }
    json whole = json::parse(bytes, nullptr, false);
    if (whole.is_discarded()) return 0;
    std::string stop, why;
    if (auto completion = anthropic_to_completion(whole, stop, why)) {
        ProviderResult r;
        if (!read_completion(*completion, r, why)) std::abort();   // what we build must read back
    }
    (void)anthropic_error_to_openai(whole);
    if (auto request = chat_to_anthropic(whole, why)) {
        if (!request->contains("messages") || !(*request)["messages"].is_array() || (*request)["messages"].empty() ||
            !request->contains("max_tokens"))
            std::abort();
    }
    return 0;
}
