#include "api/http_server.h"

#include "wire/api_error.h"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <sys/socket.h>

namespace switchyard::api {

using wire::ApiError;

using tcp = asio::ip::tcp;

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(60);

// Shared with the disconnect watcher, which may outlive the exchange by one callback.
struct WatchState {
    std::atomic<bool> gone{false};
    bool finished = false;  // the exchange is over; touched only on the connection's strand
    std::function<void()> callback;
};

// Waits for the client to close the connection while a request is being answered (no pipelining
// is expected). A read-readiness wake-up alone is not proof: asio can deliver one whose data was
// already consumed (a stale event), so it is confirmed with a non-blocking peek: 0 bytes is an
// orderly close, an error a reset, no data yet a spurious wake-up (wait again), data a pipelined
// request (the client is still there).
void watch_for_close(std::shared_ptr<WatchState> state, tcp::socket& sock) {
    sock.async_wait(tcp::socket::wait_read, [state, &sock](const boost::system::error_code& ec) {
        if (ec == asio::error::operation_aborted || state->finished || state->gone) return;
        bool closed = static_cast<bool>(ec);
        if (!closed) {
            char byte;
            ssize_t n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                watch_for_close(state, sock);
                return;
            }
            closed = n <= 0;
        }
        if (closed && !state->gone.exchange(true) && state->callback) state->callback();
    });
}

class BeastExchange : public Exchange {
public:
    BeastExchange(beast::tcp_stream& stream, const Request& req, bool keep_alive,
                  std::map<std::string, std::string> base_headers = {})
        : stream_(stream), version_(req.version()), keep_alive_(keep_alive), base_headers_(std::move(base_headers)),
          state_(std::make_shared<WatchState>()) {}

    asio::awaitable<void> respond(int status, std::string content_type, std::string body,
                                  std::map<std::string, std::string> headers) override {
        http::response<http::string_body> res{static_cast<http::status>(status), version_};
        res.set(http::field::server, "switchyard");
        res.set(http::field::content_type, content_type);
        for (const auto& [k, v] : base_headers_) res.set(k, v);
        for (const auto& [k, v] : headers) res.set(k, v);
        res.keep_alive(keep_alive_);
        res.body() = std::move(body);
        res.prepare_payload();
        status_ = status;
        run_last_bytes_hook();
        beast::error_code ec;
        stream_.expires_after(kWriteTimeout);
        co_await http::async_write(stream_, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) mark_gone();
    }

    asio::awaitable<bool> begin_stream(std::map<std::string, std::string> headers) override {
        http::response<http::empty_body> res{http::status::ok, version_};
        res.set(http::field::server, "switchyard");
        res.set(http::field::content_type, "text/event-stream");
        res.set(http::field::cache_control, "no-cache");
        for (const auto& [k, v] : base_headers_) res.set(k, v);
        res.set("X-Accel-Buffering", "no");
        for (const auto& [k, v] : headers) res.set(k, v);
        res.keep_alive(keep_alive_);
        res.chunked(true);
        status_ = 200;
        http::response_serializer<http::empty_body> sr{res};
        beast::error_code ec;
        stream_.expires_after(kWriteTimeout);
        co_await http::async_write_header(stream_, sr, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) mark_gone();
        co_return !ec;
    }

    asio::awaitable<bool> write_stream(std::string data) override {
        if (state_->gone) co_return false;
        beast::error_code ec;
        stream_.expires_after(kWriteTimeout);
        co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data)), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) mark_gone();
        co_return !ec;
    }

    asio::awaitable<void> end_stream(std::string last) override {
        if (state_->gone) co_return;
        run_last_bytes_hook();
        beast::error_code ec;
        stream_.expires_after(kWriteTimeout);
        if (!last.empty()) {
            // One write: the closing events and the terminating chunk.
            std::string bytes;
            char size[20];
            std::snprintf(size, sizeof size, "%zx\r\n", last.size());
            bytes.append(size).append(last).append("\r\n0\r\n\r\n");
            co_await asio::async_write(stream_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
        } else {
            co_await asio::async_write(stream_, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) mark_gone();
    }

    void before_last_bytes(std::function<void(int status)> hook) override { last_bytes_hook_ = std::move(hook); }

    void on_disconnect(std::function<void()> callback) override {
        state_->callback = std::move(callback);
        if (watching_) return;
        watching_ = true;
        // Noticing the close at once stops a dropped stream before any write fails.
        watch_for_close(state_, stream_.socket());
    }

    bool client_gone() const override { return state_->gone; }
    int status_sent() const override { return status_; }
    bool keep_alive() const { return keep_alive_ && !state_->gone; }

    void finish() {
        state_->finished = true;
        if (watching_) {
            boost::system::error_code ec;
            stream_.socket().cancel(ec);
        }
        state_->callback = nullptr;
        last_bytes_hook_ = nullptr;
    }

private:
    void run_last_bytes_hook() {
        if (!last_bytes_hook_) return;
        auto hook = std::move(last_bytes_hook_);
        last_bytes_hook_ = nullptr;
        hook(status_);
    }
    void mark_gone() {
        if (!state_->gone.exchange(true) && state_->callback) state_->callback();
    }
    beast::tcp_stream& stream_;
    unsigned version_;
    bool keep_alive_;
    std::map<std::string, std::string> base_headers_;   // CORS headers for an allowed Origin
    int status_ = 0;
    bool watching_ = false;
    std::function<void(int)> last_bytes_hook_;
    std::shared_ptr<WatchState> state_;
};

}  // namespace

asio::awaitable<void> respond_json(Exchange& ex, int status, const std::string& json_body, std::map<std::string, std::string> headers) {
    co_await ex.respond(status, "application/json", json_body, std::move(headers));
}

HttpServer::HttpServer(HttpServerOptions options) : opt_(std::move(options)), ioc_(opt_.io_threads), acceptor_(ioc_) {}
HttpServer::~HttpServer() { stop(); }

void HttpServer::route(http::verb method, std::string path, Handler handler) {
    routes_[{method, std::move(path)}] = std::move(handler);
}
void HttpServer::route_prefix(http::verb method, std::string prefix, Handler handler) {
    prefix_routes_[{method, std::move(prefix)}] = std::move(handler);
}

int HttpServer::listen() {
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(opt_.host, std::to_string(opt_.port));
    tcp::endpoint ep = *endpoints.begin();
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    return acceptor_.local_endpoint().port();
}

void HttpServer::run() {
    std::vector<std::thread> threads;
    for (int i = 1; i < opt_.io_threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
}

void HttpServer::stop_accepting() {
    accepting_ = false;
    asio::post(ioc_, [this] { boost::system::error_code ec; acceptor_.close(ec); });
}

void HttpServer::stop() { ioc_.stop(); }

asio::awaitable<void> HttpServer::accept_loop() {
    while (accepting_) {
        boost::system::error_code ec;
        auto socket = co_await acceptor_.async_accept(asio::make_strand(ioc_), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (!accepting_ || ec == asio::error::operation_aborted) co_return;
            continue;  // e.g. EMFILE: keep serving the connections we have
        }
        socket.set_option(tcp::no_delay(true), ec);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, serve_connection(std::move(socket)), asio::detached);
    }
}

namespace {

// Runs one read with a deadline of its own. Beast's tcp_stream timeout closes the socket, which
// would leave no way to answer 408; this cancels the read instead and keeps the socket writable.
asio::awaitable<bool> read_within(beast::tcp_stream& stream, std::chrono::seconds limit, asio::awaitable<std::size_t> read) {
    struct State { bool done = false; bool fired = false; };
    auto state = std::make_shared<State>();
    asio::steady_timer timer(stream.get_executor());
    timer.expires_after(limit);
    timer.async_wait([state, &sock = stream.socket()](const boost::system::error_code& ec) {
        if (ec || state->done) return;   // the socket is touched only while the read is pending
        state->fired = true;
        boost::system::error_code ignored;
        sock.cancel(ignored);
    });
    co_await std::move(read);
    state->done = true;
    timer.cancel();
    co_return !state->fired;
}

}  // namespace

asio::awaitable<void> HttpServer::serve_connection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(opt_.max_body_bytes);
        parser.header_limit(64 * 1024);
        beast::error_code ec;
        // Idle keep-alive: wait for the next request's first byte, then close quietly if none.
        if (buffer.size() == 0) {
            stream.expires_after(opt_.idle_timeout);
            std::size_t n = co_await stream.async_read_some(buffer.prepare(16 * 1024), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            buffer.commit(n);
        }
        stream.expires_never();
        // (std::string, not string literals: GCC 12 miscompiles those in coroutine frames.)
        std::string timed_out;
        bool in_time = co_await read_within(stream, opt_.header_timeout,
                                            http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec)));
        if (!in_time) timed_out = std::string("headers did not arrive within server.header_timeout");
        if (in_time && !ec && !parser.is_done()) {
            in_time = co_await read_within(stream, opt_.body_timeout,
                                           http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec)));
            if (!in_time) timed_out = std::string("body did not arrive within server.body_timeout (is Content-Length larger than the body?)");
        }
        if (timed_out.empty() && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                           ec == asio::error::connection_reset || ec == asio::error::operation_aborted)) break;
        if (!timed_out.empty() || ec) {
            // The request could not be read whole: answer once, then close (the stream is out of sync).
            Request dummy;
            dummy.version(11);
            BeastExchange ex(stream, dummy, false);
            ApiError err = !timed_out.empty()
                ? ApiError::make(408, "invalid_request_error", "request_timeout", "Request timed out: its " + timed_out)
                : ec == http::error::body_limit
                ? ApiError::make(413, "invalid_request_error", "request_too_large",
                           "Request body exceeds the limit of " + std::to_string(opt_.max_body_bytes) + " bytes (server.max_body_bytes)")
                : ApiError::bad_request("Malformed HTTP request: " + ec.message());
            std::map<std::string, std::string> close_headers;
            close_headers[std::string("Connection")] = std::string("close");
            co_await respond_json(ex, err.status, err.body().dump(), close_headers);
            break;
        }
        Request req = parser.release();
        const std::string origin(req[http::field::origin]);
        const bool browser_ok = !origin.empty() && !check_browser_access(opt_.access, origin, req[http::field::host]);
        BeastExchange ex(stream, req, req.keep_alive() && accepting_,
                         browser_ok ? cors_headers(opt_.access, origin) : std::map<std::string, std::string>{});
        ++in_flight_;
        co_await dispatch(req, ex);
        --in_flight_;
        ex.finish();
        if (!ex.keep_alive() || !accepting_) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> HttpServer::dispatch(const Request& req, Exchange& ex) {
    std::string path(req.target());
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    const std::string origin(req[http::field::origin]);
    if (auto refused = check_browser_access(opt_.access, origin, req[http::field::host])) {
        co_await respond_json(ex, refused->status, refused->body().dump());
        co_return;
    }
    if (req.method() == http::verb::options) {
        auto headers = preflight_headers(opt_.access, origin, req[http::field::access_control_request_headers]);
        if (origin.empty()) headers = {{"Allow", "GET, POST, DELETE, OPTIONS"}};
        co_await ex.respond(204, "text/plain", "", headers);
        co_return;
    }
    const Handler* handler = nullptr;
    bool path_known = false;
    for (const auto& [key, h] : routes_) {
        if (key.second != path) continue;
        path_known = true;
        if (key.first == req.method()) handler = &h;
    }
    for (const auto& [key, h] : prefix_routes_) {
        if (handler || path.rfind(key.second, 0) != 0) continue;
        path_known = true;
        if (key.first == req.method()) handler = &h;
    }
    if (!handler) {
        ApiError err = path_known
            ? ApiError::make(405, "invalid_request_error", "method_not_allowed", "Method " + std::string(req.method_string()) + " is not allowed on " + path)
            : ApiError::make(404, "not_found_error", "unknown_url", "Unknown request URL: " + std::string(req.method_string()) + " " + path);
        co_await respond_json(ex, err.status, err.body().dump());
        co_return;
    }
    std::string failure;
    try {
        co_await (*handler)(req, ex);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!failure.empty() && ex.status_sent() == 0) {
        std::cerr << "switchyard: handler for " << path << " failed: " << failure << "\n";
        ApiError err = ApiError::make(500, "server_error", "internal_error", "Internal error: " + failure);
        co_await respond_json(ex, 500, err.body().dump());
    }
}

}  // namespace switchyard::api
