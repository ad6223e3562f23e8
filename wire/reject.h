// How the Responses / Messages translators reject a request they cannot accept: a 400 ApiError
// naming the field (param), rendered by the HTTP layer in the calling API's own error shape.
#pragma once

#include "wire/api_error.h"

#include <string>

namespace switchyard::wire {

[[noreturn]] inline void reject(const std::string& param, const std::string& message, const std::string& code = "invalid_request") {
    throw ApiError::bad_request(message, param, code);
}

}  // namespace switchyard::wire
