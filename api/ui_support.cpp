#include "api/ui_support.h"

namespace switchyard::api::ui {

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view rest = target.substr(q + 1);
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string out;
            std::string_view v = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (v[i] == '+') { out += ' '; continue; }
                if (v[i] != '%') { out += v[i]; continue; }
                int hi = i + 1 < v.size() ? hex(v[i + 1]) : -1, lo = i + 2 < v.size() ? hex(v[i + 2]) : -1;
                if (hi < 0 || lo < 0) return std::nullopt;
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
            }
            return out;
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

std::optional<ApiError> require_admin(const ServerContext& ctx, const Request& req) {
    // Saving files and running arbitrary YAML must never be triggered by another site's page in
    // the user's browser (a server without keys on localhost is the usual case): a browser names
    // the page's origin, which must be this server's own.
    if (auto site = req.find("Sec-Fetch-Site"); site != req.end() && site->value() != "same-origin" && site->value() != "none")
        return ApiError::make(403, "permission_error", "cross_site_request", "This endpoint only answers the UI's own pages");
    if (auto origin = req.find(http::field::origin); origin != req.end()) {
        auto host = req.find(http::field::host);
        if (host == req.end() || (origin->value() != "http://" + std::string(host->value()) &&
                                  origin->value() != "https://" + std::string(host->value())))
            return ApiError::make(403, "permission_error", "cross_site_request", "This endpoint only answers the UI's own pages");
    }
    if (auto err = check_auth(ctx, req)) return err;
    return check_admin(ctx, req);   // with keys configured, only the admin role writes files or runs YAML
}

std::filesystem::path config_dir(const ServerContext& ctx) {
    const auto& source = ctx.pool.config().source;
    if (source.empty()) return std::filesystem::current_path();
    return std::filesystem::absolute(source).parent_path();
}

std::string display_path(const ServerContext& ctx, const std::filesystem::path& file) {
    std::error_code ec;
    auto rel = std::filesystem::relative(file, config_dir(ctx), ec);
    if (ec || rel.empty() || *rel.begin() == "..") return file.filename().string();
    return rel.generic_string();
}

}  // namespace switchyard::api::ui
