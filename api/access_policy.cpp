#include "api/access_policy.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace switchyard::api {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

// "https://Example.COM:443/" -> "https://example.com:443"; browsers send origins without a path.
std::string normal_origin(std::string_view origin) {
    std::string o = lower(origin);
    while (!o.empty() && o.back() == '/') o.pop_back();
    return o;
}

}  // namespace

std::string host_of_header(std::string_view h) {
    std::string host = lower(h);
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close == std::string::npos ? host : host.substr(1, close - 1);
    }
    if (auto colon = host.find(':'); colon != std::string::npos && host.find(':', colon + 1) == std::string::npos)
        host.resize(colon);
    if (!host.empty() && host.back() == '.') host.pop_back();   // "localhost." is the same name
    return host;
}

bool is_loopback_name_or_ip_literal(std::string_view host) {
    if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) return true;
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

bool host_allowed(const AccessPolicy& policy, std::string_view host_header) {
    if (host_header.empty()) return true;   // HTTP/1.0 clients; browsers always send Host
    const std::string host = host_of_header(host_header);
    if (is_loopback_name_or_ip_literal(host)) return true;
    for (const auto& allowed : policy.allowed_hosts) {
        const std::string a = lower(allowed);
        if (a == "*" || a == host) return true;
        if (a.size() > 1 && a.front() == '.' && (host.ends_with(a) || host == a.substr(1))) return true;
    }
    return false;
}

bool origin_allowed(const AccessPolicy& policy, std::string_view origin, std::string_view host_header) {
    const std::string o = normal_origin(origin);
    for (const auto& allowed : policy.cors_origins)
        if (allowed == "*" || normal_origin(allowed) == o) return true;
    // Same origin: a page served by this server (by the name the browser used to reach it).
    if (!host_header.empty() && host_allowed(policy, host_header)) {
        const std::string h = lower(host_header);
        if (o == "http://" + h || o == "https://" + h) return true;
    }
    return false;
}

std::optional<ApiError> check_browser_access(const AccessPolicy& policy, std::string_view origin, std::string_view host) {
    if (!host_allowed(policy, host))
        return ApiError::make(403, "invalid_request_error", "host_not_allowed",
                              "Host '" + host_of_header(host) + "' is not allowed (a protection against DNS rebinding); "
                              "add it to server.allowed_hosts to serve requests by this name", "Host");
    if (!origin.empty() && !origin_allowed(policy, origin, host))
        return ApiError::make(403, "invalid_request_error", "origin_not_allowed",
                              "Cross-origin requests from '" + std::string(origin) + "' are not allowed; "
                              "add the origin to server.cors_origins to allow them", "Origin");
    return std::nullopt;
}

std::map<std::string, std::string> cors_headers(const AccessPolicy& policy, std::string_view origin) {
    if (origin.empty()) return {};
    const bool any = contains(policy.cors_origins, "*");
    return {{"Access-Control-Allow-Origin", any ? "*" : std::string(origin)},
            {"Access-Control-Expose-Headers", "x-request-id, Retry-After"},
            {"Vary", "Origin"}};
}

std::map<std::string, std::string> preflight_headers(const AccessPolicy& policy, std::string_view origin,
                                                     std::string_view requested_headers) {
    auto h = cors_headers(policy, origin);
    h["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS";
    h["Access-Control-Allow-Headers"] =
        requested_headers.empty() ? "Authorization, Content-Type" : std::string(requested_headers);
    h["Access-Control-Max-Age"] = "600";
    return h;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
    // The length is not secret-dependent enough to matter (keys have fixed formats), but the
    // loop still runs over the longer input so a length mismatch costs the same time.
    const std::size_t n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

}  // namespace switchyard::api
