// What a pipeline run may touch. Inputs come from whoever sends the request, so over HTTP a
// `folder` input must not name ~/.ssh, and the http node must not reach 127.0.0.1 or the cloud
// metadata address. Params (written in the pipeline file) are trusted; inputs are not.
//
// Files: a path is resolved (relative to the pipeline's folder, then symlinks and '..') and must
// lie under one of the roots. HTTP: the URL's host must be on the allowlist, and every address
// curl connects to (after DNS, after each redirect) must not be loopback, private, link-local,
// multicast or otherwise internal unless allowed.
#pragma once

#include "pipeline/definition.h"
#include "pipeline/node_type.h"

#include <filesystem>
#include <string>
#include <vector>

namespace switchyard::pipeline {

struct AccessRules {
    bool confine_files = false;                  // false: any path (embedding apps, unit tests)
    std::vector<std::filesystem::path> roots;    // with confine_files: the folders file inputs may lie under
    std::string roots_setting = "pipelines.roots";   // named in refusals (the CLI adds --allow-root)
    bool restrict_http = false;                  // false: any host, any address
    std::vector<std::string> http_hosts;         // "api.example.com", "*.example.com", "*" (any public host)
    bool http_allow_private = false;             // loopback/private/link-local addresses allowed
};

// A refusal by these rules. Its message starts with "access denied: " and names the path or
// host and the setting that would allow it; the server answers it with 403.
struct AccessDenied : NodeError {
    using NodeError::NodeError;
};
bool is_access_denied(const std::string& error_message);

// p, resolved: relative to base_dir, '..' and symlinks resolved (what does not exist yet is kept
// as written after the deepest existing folder). Throws AccessDenied when outside every root.
std::filesystem::path confine_path(const std::filesystem::path& p, const std::filesystem::path& base_dir,
                                   const AccessRules& rules, const std::string& what);
// Both already resolved: is `path` the root or inside it (component-wise, not by string prefix)?
bool path_within(const std::filesystem::path& path, const std::filesystem::path& root);

// Params are trusted only when the pipeline file is the operator's. YAML that arrives over HTTP
// (the UI's edited pipelines, run or saved) may name files the server writes: the `db` of index
// and retrieve, the `image_dir` of pdf. Each must lie under the pipeline's own folder or a root;
// returns one problem per param that does not ("node 'x': param 'db': access denied: ...").
std::vector<std::string> check_param_paths(const PipelineDefinition& def, const std::vector<std::filesystem::path>& roots);

// Loopback, unspecified, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
// shared/CGNAT (100.64/10), benchmarking, multicast, reserved, and IPv4-mapped/NAT64 forms of
// those. An address that does not parse counts as internal.
bool is_internal_address(const std::string& ip);
// Host allowlist match, case-insensitive: exact, "*.example.com" (subdomains and the name
// itself), or "*" (any host).
bool host_in_list(const std::string& host, const std::vector<std::string>& patterns);

}  // namespace switchyard::pipeline
