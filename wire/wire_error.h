// What the wire-format translators throw for a request they cannot accept: the HTTP status,
// a machine-readable code, a message naming the field, and the field (param). The HTTP layer
// renders it in the calling API's own error shape (OpenAI or Anthropic).
#pragma once

#include <string>

namespace switchyard::wire {

struct WireError {
    int status = 400;
    std::string code = "invalid_request";
    std::string message;
    std::string param;
};

[[noreturn]] inline void reject(const std::string& param, const std::string& message, const std::string& code = "invalid_request") {
    throw WireError{400, code, message, param};
}

}  // namespace switchyard::wire
