// http: calls an external JSON endpoint. url, body and header values are templates over the
// node's inputs. Only GET requests are cached (a POST may change something on the other side,
// so it runs every time); set `cache: false` on the node for a GET whose answer changes.
#include "pipeline/nodes/nodes.h"
#include "pipeline/text_template.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <strings.h>

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
        for (const auto& [name, value] : ctx.params.value("headers", json::object()).items()) {
            std::string v = value.is_string() ? render_template(value.get<std::string>(), ctx.inputs) : value.dump();
            header_list = curl_slist_append(header_list, (name + ": " + v).c_str());
            content_type = content_type || strcasecmp(name.c_str(), "content-type") == 0;
        }
        if (!body.empty() && !content_type) header_list = curl_slist_append(header_list, "Content-Type: application/json");
        headers_guard.reset(header_list);
        std::string response;
        CURL* h = curl.get();
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
        if (!body.empty() || method != "GET") curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        if (method == "GET" && body.empty()) curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);   // worker threads: no SIGALRM for timeouts
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(ctx.number_param("timeout_s", 30) * 1000));
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_if_cancelled);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ctx.cancelled);
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) throw NodeError("http " + method + " " + url + ": " + curl_easy_strerror(rc));
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 400) throw NodeError("http " + method + " " + url + " answered " + std::to_string(status) + ": " + response.substr(0, 300));
        auto parsed = json::parse(response, nullptr, false);
        return NodeOutputs{{"json", parsed.is_discarded() ? json(nullptr) : parsed}, {"text", response}, {"status", status}};
    };
    return t;
}

}  // namespace switchyard::pipeline::nodes
