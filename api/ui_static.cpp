// GET /ui and /ui/*: the web UI's static files (built by scripts/setup.sh with Vite into
// build/ui, beside the binary; SWITCHYARD_UI_DIR overrides). Paths are checked before any file
// is opened: no "..", no backslashes, no percent-encoding, no hidden files, and the resolved
// file (symlinks followed) must lie inside the UI folder. Unknown extension-less paths are
// client-side routes and get index.html. No auth here: the files hold no data, and the page
// asks for the API key before it calls /ui/api/*.
#include "api/ui_support.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace switchyard::api::ui {
namespace {

namespace fs = std::filesystem;

fs::path ui_root() {
    if (const char* env = std::getenv("SWITCHYARD_UI_DIR"); env && *env) return fs::path(env);
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("ui") : exe.parent_path() / "ui";
}

std::string content_type(const fs::path& file) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"}};
    auto it = types.find(file.extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

// The relative path inside the UI folder, or "" when the request is not a plain safe path.
std::string safe_relative(std::string_view rel) {
    if (rel.empty()) return "index.html";
    if (rel.find_first_of("\\%\0", 0, 3) != std::string_view::npos) return "";
    std::string out;
    std::size_t start = 0;
    while (start <= rel.size()) {
        std::size_t slash = rel.find('/', start);
        std::string_view seg = rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (seg.empty() && slash != std::string_view::npos) return "";   // "//"
        if (!seg.empty() && seg.front() == '.') return "";               // "..", ".", hidden files
        out += (out.empty() ? "" : "/") + std::string(seg);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out.empty() ? "index.html" : out;
}

// Content-Security-Policy: everything from this origin only; inline styles are needed by the
// graph editor (node positions are style attributes).
const std::map<std::string, std::string>& page_headers() {
    static const std::map<std::string, std::string> h = {
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy",
         "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
         "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
        {"Referrer-Policy", "no-referrer"}};
    return h;
}

struct StaticFile {
    int status = 200;
    std::string type, body;
    bool immutable = false;
};

StaticFile read_static(const std::string& path) {
    const fs::path root = ui_root();
    std::error_code ec;
    const fs::path canon_root = fs::canonical(root, ec);
    if (ec) return {404, "text/plain; charset=utf-8", "The web UI is not built: run scripts/setup.sh (it builds ui/ with npm into build/ui)\n"};
    std::string rel = safe_relative(std::string_view(path).substr(std::min(path.size(), std::string("/ui/").size())));
    if (rel.empty()) return {400, "text/plain; charset=utf-8", "Bad path\n"};
    fs::path file = canon_root / rel;
    if (!fs::exists(file, ec) && fs::path(rel).extension().empty()) file = canon_root / "index.html";  // client-side route
    fs::path canon = fs::canonical(file, ec);
    auto [root_end, _] = std::mismatch(canon_root.begin(), canon_root.end(), canon.begin(), canon.end());
    if (ec || root_end != canon_root.end() || !fs::is_regular_file(canon, ec)) return {404, "text/plain; charset=utf-8", "Not found\n"};
    std::ifstream in(canon, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return {500, "text/plain; charset=utf-8", "Cannot read the file\n"};
    StaticFile f{200, content_type(canon), ss.str(), false};
    // Vite puts content-hashed names under assets/: those never change.
    f.immutable = rel.rfind("assets/", 0) == 0;
    return f;
}

}  // namespace

void register_ui_static(HttpServer& http, ServerContext& ctx) {
    http.route(http::verb::get, "/ui", [](const Request&, Exchange& ex) -> asio::awaitable<void> {
        std::map<std::string, std::string> headers{{"Location", "/ui/"}};
        co_await ex.respond(308, "text/plain; charset=utf-8", "", headers);
    });
    http.route_prefix(http::verb::get, "/ui/", [&ctx](const Request& req, Exchange& ex) -> asio::awaitable<void> {
        std::string path(req.target());
        path = path.substr(0, path.find('?'));
        if (path.rfind("/ui/api/", 0) == 0) {
            ApiError err = ApiError::make(404, "not_found_error", "unknown_url", "Unknown request URL: GET " + path);
            co_await respond_json(ex, 404, err.body().dump());
            co_return;
        }
        auto read = [&path] { return read_static(path); };
        StaticFile f = co_await ctx.offload(read);
        std::map<std::string, std::string> headers = page_headers();
        headers["Cache-Control"] = f.immutable ? "public, max-age=31536000, immutable" : "no-cache";
        co_await ex.respond(f.status, f.type, std::move(f.body), headers);
    });
}

}  // namespace switchyard::api::ui
