#include "pipeline/confinement.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace switchyard::pipeline {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool v4_internal(std::uint32_t a) {
    auto in = [a](std::uint32_t net, int bits) { return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8)       // 0.0.0.0/8 "this network" (0.0.0.0 reaches localhost on Linux)
        || in(0x0A000000, 8)       // 10/8
        || in(0x64400000, 10)      // 100.64/10 shared address space (CGNAT)
        || in(0x7F000000, 8)       // 127/8 loopback
        || in(0xA9FE0000, 16)      // 169.254/16 link-local (cloud metadata at 169.254.169.254)
        || in(0xAC100000, 12)      // 172.16/12
        || in(0xC0000000, 24)      // 192.0.0/24 IETF protocol assignments
        || in(0xC0000200, 24)      // 192.0.2/24 documentation
        || in(0xC0A80000, 16)      // 192.168/16
        || in(0xC6120000, 15)      // 198.18/15 benchmarking
        || in(0xC6336400, 24)      // 198.51.100/24 documentation
        || in(0xCB007100, 24)      // 203.0.113/24 documentation
        || in(0xE0000000, 4)       // 224/4 multicast
        || in(0xF0000000, 4);      // 240/4 reserved, broadcast
}

}  // namespace

bool is_access_denied(const std::string& error_message) {
    return error_message.find("access denied: ") != std::string::npos;
}

bool path_within(const fs::path& path, const fs::path& root) {
    auto p = path.begin(), r = root.begin();
    for (; r != root.end(); ++r, ++p) {
        if (r->empty()) continue;   // a trailing separator of the root
        if (p == path.end() || *p != *r) return false;
    }
    return true;
}

fs::path confine_path(const fs::path& given, const fs::path& base_dir, const AccessRules& rules, const std::string& what) {
    fs::path p = given.is_relative() && !base_dir.empty() ? base_dir / given : given;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(fs::absolute(p, ec), ec);
    if (ec) resolved = fs::absolute(p).lexically_normal();
    if (!rules.confine_files) return resolved;
    for (const auto& root : rules.roots) {
        std::error_code rec;
        fs::path r = fs::weakly_canonical(fs::absolute(root, rec), rec);
        if (rec) r = fs::absolute(root).lexically_normal();
        if (path_within(resolved, r)) return resolved;
    }
    const bool changed = resolved != fs::absolute(p).lexically_normal();
    throw AccessDenied("access denied: " + what + " '" + given.string() + "'" +
                       (changed ? " (resolves to '" + resolved.string() + "')" : std::string()) + " is outside the allowed folders" +
                       (rules.roots.empty() ? " (none are configured)" : std::string()) + "; add a folder that contains it to " +
                       rules.roots_setting);
}

bool is_internal_address(const std::string& ip_text) {
    std::string ip = ip_text;
    if (!ip.empty() && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (auto pct = ip.find('%'); pct != std::string::npos) ip.resize(pct);   // fe80::1%eth0
    in_addr v4{};
    if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return v4_internal(ntohl(v4.s_addr));
    in6_addr v6{};
    if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return true;
    const unsigned char* b = v6.s6_addr;
    auto embedded_v4 = [b](int at) {
        return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) | (std::uint32_t(b[at + 2]) << 8) | b[at + 3];
    };
    static const std::array<unsigned char, 16> zero{};
    if (std::memcmp(b, zero.data(), 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;   // :: and ::1
    if (std::memcmp(b, zero.data(), 10) == 0 && b[10] == 0xff && b[11] == 0xff) return v4_internal(embedded_v4(12));  // ::ffff:a.b.c.d
    if (std::memcmp(b, zero.data(), 12) == 0) return true;                                 // deprecated ::a.b.c.d
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return v4_internal(embedded_v4(12));  // 64:ff9b::/96 NAT64
    if ((b[0] & 0xfe) == 0xfc) return true;                    // fc00::/7 unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;    // fe80::/10 link-local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;    // fec0::/10 site-local (deprecated)
    if (b[0] == 0xff) return true;                             // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;   // 2001:db8::/32 documentation
    if (b[0] == 0x20 && b[1] == 0x02) return v4_internal(embedded_v4(2));             // 6to4 wraps an IPv4 address
    return false;
}

bool host_in_list(const std::string& host_text, const std::vector<std::string>& patterns) {
    std::string host = lower(host_text);
    if (!host.empty() && host.back() == '.') host.pop_back();
    for (const auto& pat_text : patterns) {
        const std::string pat = lower(pat_text);
        if (pat == "*" || pat == host) return true;
        if (pat.size() > 2 && pat.starts_with("*.")) {
            const std::string suffix = pat.substr(1);   // ".example.com"
            if (host == pat.substr(2) || (host.size() > suffix.size() && host.ends_with(suffix))) return true;
        }
    }
    return false;
}

std::vector<std::string> check_param_paths(const PipelineDefinition& def, const std::vector<fs::path>& roots) {
    static const std::vector<std::pair<std::string, std::string>> path_params = {
        {"index", "db"}, {"retrieve", "db"}, {"pdf", "image_dir"}};
    AccessRules rules;
    rules.confine_files = true;
    rules.roots = roots;
    if (!def.base_dir.empty()) rules.roots.push_back(def.base_dir);
    rules.roots_setting = "pipelines.roots (or keep it in the pipeline's own folder)";
    std::vector<std::string> problems;
    for (const auto& n : def.nodes)
        for (const auto& [type, key] : path_params) {
            if (n.type != type || !n.params.is_object() || !n.params.contains(key) || !n.params[key].is_string()) continue;
            const std::string value = n.params[key].get<std::string>();
            if (value.empty()) continue;
            if (value.find("://") != std::string::npos) {   // a postgresql:// index: a host to connect to
                problems.push_back("node '" + n.id + "': param '" + key + "': a database URL can only be written in a "
                                   "configured pipeline file (pipelines.files), not in YAML sent over HTTP");
                continue;
            }
            try {
                confine_path(value, def.base_dir, rules, "param '" + key + "'");
            } catch (const AccessDenied& e) {
                problems.push_back("node '" + n.id + "': " + e.what());
            }
        }
    return problems;
}

fs::path NodeContext::input_path(const fs::path& p, const std::string& what) const {
    if (access) return confine_path(p, base_dir, *access, what);
    return p.is_relative() && !base_dir.empty() ? base_dir / p : p;
}

}  // namespace switchyard::pipeline
