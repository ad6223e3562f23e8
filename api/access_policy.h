// Who may talk to the server from a browser, and how keys are compared. Pure functions over the
// request's headers, so every rule is unit-tested without a socket.
//
// Browser safety: any web page the user opens can send requests to 127.0.0.1. Two checks stop it:
//  - Origin: a request carrying an Origin header (every cross-site fetch does) is refused unless
//    the origin is listed in server.cors_origins, or is the server itself (same-origin UI).
//  - Host: DNS rebinding points an attacker's name at 127.0.0.1, so the browser sends
//    "Host: attacker.example". Only loopback names, IP literals and server.allowed_hosts pass.
#pragma once

#include "wire/api_error.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::api {

using wire::ApiError;

struct AccessPolicy {
    std::vector<std::string> cors_origins;   // "https://app.example:8443"; "*" = any origin (only when written)
    std::vector<std::string> allowed_hosts;  // names beyond loopback and IP literals; "*" = any; ".example.com" = suffix
};

// The host part of a Host header value: "LOCALHOST:8080" -> "localhost", "[::1]:80" -> "::1".
std::string host_of_header(std::string_view host_header);
// True for localhost, *.localhost, and IP literals (a literal cannot be rebound to another address).
bool is_loopback_name_or_ip_literal(std::string_view host);
bool host_allowed(const AccessPolicy& policy, std::string_view host_header);
// origin: the Origin header; host_header: the request's Host (an origin equal to it is same-origin).
bool origin_allowed(const AccessPolicy& policy, std::string_view origin, std::string_view host_header);

// The refusal for a request whose Host or Origin is not allowed (403 naming the setting), if any.
// origin / host: header values, empty when absent.
std::optional<ApiError> check_browser_access(const AccessPolicy& policy, std::string_view origin, std::string_view host);

// Response headers for an allowed request with an Origin (empty without one).
std::map<std::string, std::string> cors_headers(const AccessPolicy& policy, std::string_view origin);
// Headers for an allowed CORS preflight (OPTIONS with Access-Control-Request-Method).
std::map<std::string, std::string> preflight_headers(const AccessPolicy& policy, std::string_view origin,
                                                     std::string_view requested_headers);

// Compares secrets without an early exit, so response timing does not reveal how many leading
// characters of a guessed key were right.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace switchyard::api
