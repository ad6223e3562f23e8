// Errors as OpenAI clients expect them: {"error": {"message", "type", "param", "code"}} plus the
// HTTP status that goes with each kind. Everything the HTTP layer rejects goes through here.
#pragma once

#include "engine/engine_error.h"

#include <nlohmann/json.hpp>

#include <string>

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

}  // namespace switchyard::wire
