#include "providers/upstream_http.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace switchyard::providers {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string Url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    bool default_port = (tls && port == "443") || (!tls && port == "80");
    return default_port ? h : h + ":" + port;
}

std::string Url::str() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "https://" : "http://") + h + ":" + port + path;
}

bool parse_url(std::string_view text, Url& out, std::string& err) {
    Url u;
    auto lower = [](std::string_view s) {
        std::string r(s);
        for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return r;
    };
    auto sep = text.find("://");
    std::string scheme = sep == std::string_view::npos ? "" : lower(text.substr(0, sep));
    if (scheme != "http" && scheme != "https") {
        err = "base_url must start with http:// or https://";
        return false;
    }
    u.tls = scheme == "https";
    std::string_view rest = text.substr(sep + 3);
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos || path.find_first_of("?#") != std::string_view::npos) {
        err = "base_url must not contain credentials, a query or a fragment";
        return false;
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            err = "unterminated IPv6 address in base_url";
            return false;
        }
        u.host = std::string(authority.substr(1, close - 1));
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') {
                err = "bad characters after IPv6 address in base_url";
                return false;
            }
            port = authority.substr(close + 2);
        }
    } else {
        auto colon = authority.find(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) {
        err = "base_url has no host";
        return false;
    }
    if (!port.empty()) {
        bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
            err = "bad port '" + std::string(port) + "' in base_url";
            return false;
        }
        u.port = std::string(port);
    } else {
        u.port = u.tls ? "443" : "80";
    }
    u.path = std::string(path);
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
    out = std::move(u);
    return true;
}

std::shared_ptr<ssl::context> make_tls_context(const std::string& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_default_verify_paths();
    if (!ca_file.empty()) ctx->load_verify_file(ca_file);  // throws with the reason if unreadable
    ctx->set_verify_mode(ssl::verify_peer);
    return ctx;
}

UpstreamConnection::UpstreamConnection(asio::any_io_executor ex, std::shared_ptr<ssl::context> tls, const Url& url)
    : ex_(std::move(ex)), tls_ctx_(std::move(tls)), url_(url) {
    if (url_.tls) tls_ = std::make_unique<ssl::stream<beast::tcp_stream>>(ex_, *tls_ctx_);
    else plain_ = std::make_unique<beast::tcp_stream>(ex_);
}

UpstreamConnection::~UpstreamConnection() = default;

beast::tcp_stream& UpstreamConnection::tcp() { return tls_ ? tls_->next_layer() : *plain_; }

void UpstreamConnection::arm(Clock::time_point deadline) { tcp().expires_at(deadline); }

asio::awaitable<void> UpstreamConnection::connect(Clock::time_point deadline, Clock::time_point connect_deadline,
                                                  beast::error_code& ec) {
    // Name resolution runs getaddrinfo on Asio's resolver thread and cannot be interrupted; it
    // is bounded only by the system resolver's own timeouts.
    stage_ = Stage::resolve;
    tcp::resolver resolver(ex_);
    auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;

    stage_ = Stage::connect;
    arm(std::min(deadline, connect_deadline));
    co_await tcp().async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !tls_) co_return;

    stage_ = Stage::tls;
    beast::error_code ip_ec;
    asio::ip::make_address(url_.host, ip_ec);
    // SNI carries host names only (RFC 6066); certificates for IPs are matched by the callback.
    if (ip_ec && !SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
        ec = beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        co_return;
    }
    tls_->set_verify_callback(ssl::host_name_verification(url_.host));
    co_await tls_->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> UpstreamConnection::write(http::request<http::string_body>& req, Clock::time_point deadline,
                                                beast::error_code& ec) {
    stage_ = Stage::write;
    arm(deadline);
    if (tls_) co_await http::async_write(*tls_, req, asio::redirect_error(asio::use_awaitable, ec));
    else co_await http::async_write(*plain_, req, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> UpstreamConnection::read_header(Clock::time_point deadline, beast::error_code& ec) {
    stage_ = Stage::read_header;
    arm(deadline);
    parser_.emplace();
    parser_->header_limit(64 * 1024);  // CDNs in front of hosted APIs send large header sets
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // callers bound what they keep
    if (tls_) co_await http::async_read_header(*tls_, buffer_, *parser_, asio::redirect_error(asio::use_awaitable, ec));
    else co_await http::async_read_header(*plain_, buffer_, *parser_, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> UpstreamConnection::read_some(std::string& out, Clock::time_point deadline, beast::error_code& ec) {
    // read_some (not read) returns after each parse step, so an SSE event is handed on as soon
    // as its bytes are in instead of when a buffer fills up.
    stage_ = Stage::read_body;
    arm(deadline);
    auto& body = parser_->get().body();
    body.data = scratch_.data();
    body.size = scratch_.size();
    if (tls_) co_await http::async_read_some(*tls_, buffer_, *parser_, asio::redirect_error(asio::use_awaitable, ec));
    else co_await http::async_read_some(*plain_, buffer_, *parser_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};  // scratch full: not an error, just read again
    out.append(scratch_.data(), scratch_.size() - body.size);
    body.data = nullptr;
}

int UpstreamConnection::status() const { return parser_ ? parser_->get().result_int() : 0; }

std::optional<std::string> UpstreamConnection::header(std::string_view name) const {
    if (!parser_) return std::nullopt;
    auto it = parser_->get().find(beast::string_view(name.data(), name.size()));
    if (it == parser_->get().end()) return std::nullopt;
    return std::string(it->value());
}

bool UpstreamConnection::body_done() const { return parser_ && parser_->is_done(); }

bool UpstreamConnection::reusable() const {
    return !closed_ && parser_ && parser_->is_done() && parser_->keep_alive() && tcp_is_open();
}

void UpstreamConnection::close() {
    closed_ = true;
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
}

std::unique_ptr<UpstreamConnection> ConnectionPool::take() {
    std::lock_guard lock(mu_);
    const auto now = UpstreamConnection::Clock::now();
    while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (now - conn->idle_since < max_idle_time_) return conn;
        conn->close();  // the upstream has probably dropped it by now
    }
    return nullptr;
}

void ConnectionPool::give_back(std::unique_ptr<UpstreamConnection> conn) {
    if (!conn) return;
    if (!conn->reusable()) { conn->close(); return; }
    conn->idle_since = UpstreamConnection::Clock::now();
    std::lock_guard lock(mu_);
    if (idle_.size() >= max_idle_) { conn->close(); return; }
    idle_.push_back(std::move(conn));
}

std::size_t ConnectionPool::idle() const {
    std::lock_guard lock(mu_);
    return idle_.size();
}

const char* to_string(UpstreamConnection::Stage s) {
    switch (s) {
        case UpstreamConnection::Stage::resolve: return "resolve";
        case UpstreamConnection::Stage::connect: return "connect";
        case UpstreamConnection::Stage::tls: return "TLS handshake";
        case UpstreamConnection::Stage::write: return "send request";
        case UpstreamConnection::Stage::read_header: return "read response headers";
        case UpstreamConnection::Stage::read_body: return "read response body";
    }
    return "?";
}

}  // namespace switchyard::providers
