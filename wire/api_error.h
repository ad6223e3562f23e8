// Errors as OpenAI clients expect them: {"error": {"message", "type", "param", "code"}} plus the
// HTTP status that goes with each kind. Everything the HTTP layer rejects goes through here.
#pragma once

#include "engine/engine_error.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace switchyard::wire {

struct ApiError {
    int status = 500;
    std::string type;      // invalid_request_error | not_found_error | rate_limit_error | server_error | ...
    std::string code;      // e.g. model_not_found, context_length_exceeded
    std::string message;
    std::string param;
    int retry_after = 0;   // seconds; > 0 adds a Retry-After header

    nlohmann::json body() const;
    // A factory instead of brace-initialisation: GCC 12 miscompiles aggregate init inside coroutines.
    static ApiError make(int status, std::string type, std::string code, std::string message,
                         std::string param = {}, int retry_after = 0);
    static ApiError bad_request(std::string message, std::string param = {}, std::string code = "invalid_request");
    static ApiError from_engine(const EngineError& e);
};

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);
// s with every invalid byte replaced by `replacement`.
std::string replace_invalid_utf8(std::string_view s, std::string_view replacement = "\xEF\xBF\xBD");

}  // namespace switchyard::wire
