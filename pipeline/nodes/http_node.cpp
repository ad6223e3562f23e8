// http: calls an external JSON endpoint. url, body and header values are templates over the
// node's inputs. Only GET requests are cached (a POST may change something on the other side,
// so it runs every time); set `cache: false` on the node for a GET whose answer changes.
#include "pipeline/confinement.h"
#include "pipeline/nodes/nodes.h"
#include "pipeline/text_template.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <arpa/inet.h>
#include <strings.h>
#include <sys/socket.h>

namespace switchyard::pipeline::nodes {

namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

// Progress callback: a non-zero return aborts the transfer, which is how cancellation reaches curl.
int abort_if_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

// Renders every string inside a JSON body, so `body: {q: "{{text}}"}` works without escaping.
json render_json(const json& value, const std::map<std::string, json>& vars) {
    if (value.is_string()) return render_template(value.get<std::string>(), vars);
    json out = value;
    if (value.is_object() || value.is_array())
        for (auto it = out.begin(); it != out.end(); ++it) *it = render_json(*it, vars);
    return out;
}

// The host of a URL, as curl will read it ("" when the URL does not parse).
std::string url_host(const std::string& url) {
    std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
    char* host = nullptr;
    if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || !host) return "";
    std::string h = host;
    curl_free(host);
    return h;
}

void check_host(const std::string& url, const AccessRules& rules) {
    const std::string host = url_host(url);
    if (host.empty()) throw NodeError("http: '" + url + "' is not a valid http(s) URL");
    if (!host_in_list(host, rules.http_hosts))
        throw AccessDenied("access denied: http node may not call host '" + host + "'; add it to pipelines.http_hosts");
}

// Checked for every connection curl opens (the first one, and after each redirect), with the
// address DNS gave: a public name resolving to 127.0.0.1 is caught here, not by the name.
struct SocketGuard {
    const AccessRules* rules = nullptr;
    std::string refused;   // the address refused, if any
};

curl_socket_t open_checked_socket(void* data, curlsocktype purpose, curl_sockaddr* addr) {
    auto* guard = static_cast<SocketGuard*>(data);
    char text[INET6_ADDRSTRLEN] = {0};
    if (addr->family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr->addr)->sin_addr, text, sizeof text);
    else if (addr->family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr->addr)->sin6_addr, text, sizeof text);
    if (purpose != CURLSOCKTYPE_IPCXN || (!guard->rules->http_allow_private && is_internal_address(text))) {
        guard->refused = text[0] ? text : "a non-IP address";
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

std::string method_of(const json& params) {
    auto m = params.value("method", std::string("GET"));
    for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return m;
}

}  // namespace

NodeType http_node() {
    NodeType t;
    t.name = "http";
    t.description = "Calls an HTTP endpoint; JSON body in and out";
    t.params = {{"url", ParamKind::string, true, false, "URL template"},
                {"method", ParamKind::string, false, false, "GET (default), POST, PUT, PATCH, DELETE"},
                {"body", ParamKind::any, false, false, "request body: a text template, or JSON whose strings are templates"},
                {"headers", ParamKind::object, false, false, "header name -> value template"},
                {"timeout_s", ParamKind::number, false, false, "whole request limit (default 30)"}};
    t.signature = [](const json&) {
        NodeSignature s;
        s.outputs = {{"json", ValueType::of(ValueKind::json)}, {"text", ValueType::of(ValueKind::text)},
                     {"status", ValueType::of(ValueKind::json)}};
        s.accepts_extra_inputs = true;
        return s;
    };
    t.check = [](const json& params, const std::vector<std::string>&, const ProblemSink& problem) {
        static const std::vector<std::string> methods{"GET", "POST", "PUT", "PATCH", "DELETE"};
        if (std::find(methods.begin(), methods.end(), method_of(params)) == methods.end())
            problem("method", "must be one of GET, POST, PUT, PATCH, DELETE");
    };
    t.cacheable = [](const json& params) { return method_of(params) == "GET"; };
    t.run = [](NodeContext& ctx) {
        const std::string url = render_template(ctx.string_param("url"), ctx.inputs);
        const std::string method = method_of(ctx.params);
        std::string body;
        if (ctx.params.contains("body")) {
            const json& b = ctx.params["body"];
            body = b.is_string() ? render_template(b.get<std::string>(), ctx.inputs) : render_json(b, ctx.inputs).dump();
        }
        std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
        if (!curl) throw NodeError("http: could not create a curl handle");
        curl_slist* header_list = nullptr;
        std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers_guard(nullptr, curl_slist_free_all);
        bool content_type = false;
        // Named, not iterated as a temporary: items() keeps a reference to the json it walks, and a
        // temporary from value() dies before the loop body runs (ASan: stack-use-after-scope).
        const json header_params = ctx.params.value("headers", json::object());
        for (const auto& [name, value] : header_params.items()) {
            std::string v = value.is_string() ? render_template(value.get<std::string>(), ctx.inputs) : value.dump();
            header_list = curl_slist_append(header_list, (name + ": " + v).c_str());
            content_type = content_type || strcasecmp(name.c_str(), "content-type") == 0;
        }
        if (!body.empty() && !content_type) header_list = curl_slist_append(header_list, "Content-Type: application/json");
        headers_guard.reset(header_list);
        std::string response;
        CURL* h = curl.get();
        SocketGuard guard{ctx.access};
        const bool restricted = ctx.access && ctx.access->restrict_http;
        if (restricted) {
            check_host(url, *ctx.access);
            curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
            curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
            curl_easy_setopt(h, CURLOPT_PROXY, "");   // the address checks must see the real peer, not a proxy
        }
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
        if (!body.empty() || method != "GET") curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        if (method == "GET" && body.empty()) curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
        // Redirects are followed by hand when restricted, so each target's host is checked first.
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, restricted ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);   // worker threads: no SIGALRM for timeouts
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(ctx.number_param("timeout_s", 30) * 1000));
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_if_cancelled);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ctx.cancelled);
        CURLcode rc = CURLE_OK;
        long status = 0;
        std::string target = url;
        for (int redirects = 0;; ++redirects) {
            response.clear();
            rc = curl_easy_perform(h);
            if (!guard.refused.empty())
                throw AccessDenied("access denied: http node may not connect to " + guard.refused + " (" + url_host(target) +
                                   "): loopback, private and link-local addresses need pipelines.http_allow_private: true");
            if (rc != CURLE_OK) throw NodeError("http " + method + " " + target + ": " + curl_easy_strerror(rc));
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            char* next = nullptr;
            if (!restricted || status < 300 || status >= 400 || curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next) break;
            if (redirects == 5) throw NodeError("http " + method + " " + url + ": more than 5 redirects");
            target = next;
            check_host(target, *ctx.access);
            curl_easy_setopt(h, CURLOPT_URL, target.c_str());
            if (status == 301 || status == 302 || status == 303) {   // what browsers and curl do: the next request is a GET
                curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, static_cast<char*>(nullptr));
                curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
            }
        }
        if (status >= 400) throw NodeError("http " + method + " " + url + " answered " + std::to_string(status) + ": " + response.substr(0, 300));
        auto parsed = json::parse(response, nullptr, false);
        return NodeOutputs{{"json", parsed.is_discarded() ? json(nullptr) : parsed}, {"text", response}, {"status", status}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
