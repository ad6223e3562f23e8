// One exception type for everything the engine refuses or fails at. The kind tells the HTTP
// layer which status to answer with; the message is shown to the client as is, so it must be precise.
#pragma once

#include <stdexcept>
#include <string>

namespace switchyard {

enum class EngineErrorKind {
    invalid_request,    // 400: bad parameter value, unsupported combination
    context_overflow,   // 400: prompt (+ max_tokens) does not fit the model's context
    unknown_model,      // 404
    wrong_model_kind,   // 400: e.g. chat request sent to an embedding model
    queue_full,         // 429: the model's wait queue is at its limit
    overloaded,         // 503: memory budget exhausted by busy models, shutting down
    model_unavailable,  // 500: model file missing, unreadable or corrupt
    internal,           // 500
};

struct EngineError : std::runtime_error {
    EngineErrorKind kind;
    std::string param;  // the offending request field, when there is one
    EngineError(EngineErrorKind k, const std::string& message, std::string p = {})
        : std::runtime_error(message), kind(k), param(std::move(p)) {}
};

}  // namespace switchyard
