#include "wire/api_error.h"

namespace switchyard::wire {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    const unsigned c = at(i);
    auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return at(k) >= lo && at(k) <= hi; };
    if (i >= s.size()) return 0;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (c == 0xE0) return cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
    if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;   // no UTF-16 surrogates
    if (c == 0xF0) return cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    return 0;
}

std::string replace_invalid_utf8(std::string_view s, std::string_view replacement) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) { out += replacement; ++i; continue; }
        out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

nlohmann::json ApiError::body() const {
    // Messages may quote request bytes (a JSON parser's "last read: ..."): an error about invalid
    // UTF-8 must not itself fail to serialise.
    nlohmann::json err = {{"message", replace_invalid_utf8(message)}, {"type", type}};
    err["param"] = param.empty() ? nlohmann::json(nullptr) : nlohmann::json(replace_invalid_utf8(param));
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
