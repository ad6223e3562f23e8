#include "wire/api_error.h"

namespace switchyard::wire {

nlohmann::json ApiError::body() const {
    nlohmann::json err = {{"message", message}, {"type", type}};
    err["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param);
    err["code"] = code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
    return {{"error", err}};
}

ApiError ApiError::make(int status, std::string type, std::string code, std::string message, std::string param, int retry_after) {
    ApiError e;
    e.status = status;
    e.type = std::move(type);
    e.code = std::move(code);
    e.message = std::move(message);
    e.param = std::move(param);
    e.retry_after = retry_after;
    return e;
}

ApiError ApiError::bad_request(std::string message, std::string param, std::string code) {
    return make(400, "invalid_request_error", std::move(code), std::move(message), std::move(param));
}

ApiError ApiError::from_engine(const EngineError& e) {
    switch (e.kind) {
        case EngineErrorKind::invalid_request: return {400, "invalid_request_error", "invalid_request", e.what(), e.param};
        case EngineErrorKind::context_overflow: return {400, "invalid_request_error", "context_length_exceeded", e.what(), e.param};
        case EngineErrorKind::wrong_model_kind: return {400, "invalid_request_error", "model_not_supported", e.what(), e.param};
        case EngineErrorKind::unknown_model: return {404, "not_found_error", "model_not_found", e.what(), e.param};
        case EngineErrorKind::queue_full: return {429, "rate_limit_error", "queue_full", e.what(), e.param, 1};
        case EngineErrorKind::overloaded: return {503, "server_error", "overloaded", e.what(), e.param, 2};
        case EngineErrorKind::model_unavailable: return {500, "server_error", "model_unavailable", e.what(), e.param};
        case EngineErrorKind::internal: break;
    }
    return {500, "server_error", "internal_error", e.what(), e.param};
}

}  // namespace switchyard::wire
