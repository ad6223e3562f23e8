// Fuzzes the OpenAI request parsers (wire/request_parsing.*) with raw request bodies: parse_body, then the chat,
// completion and embedding parsers. Contract: bad input only ever throws ApiError (a 4xx with
// the field named); any other exception, crash, leak or UB is a bug.
#include "wire/request_parsing.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace switchyard;
using namespace switchyard::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    json j;
    try {
        j = parse_body(body);
    } catch (const ApiError& e) {
        if (e.status != 400) std::abort();
        return 0;
    }
    const SamplingDefaults defaults;
    auto expect_4xx = [](const ApiError& e) { if (e.status < 400 || e.status > 499 || e.message.empty()) std::abort(); };
    try {
        auto r = parse_chat_request(j, defaults);
        // What the server does next with a parsed request: echo fields back as JSON.
        json echo = {{"model", r.model}, {"n", r.input.messages.size()}, {"schema", r.input.json_schema}};
        for (const auto& m : r.input.messages) echo["m"].push_back(m.content);
        (void)echo.dump();
    } catch (const ApiError& e) { expect_4xx(e); }
    try { (void)parse_completion_request(j, defaults); } catch (const ApiError& e) { expect_4xx(e); }
    try { (void)parse_embedding_request(j); } catch (const ApiError& e) { expect_4xx(e); }
    return 0;
}
