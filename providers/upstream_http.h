// Minimal async HTTP/1.1 client for talking to OpenAI-compatible upstreams: plain TCP for
// http:// and TLS (SNI, peer and host name verified) for https://. A connection serves one
// request at a time and, when the upstream keeps it alive, later ones (ConnectionPool).
// The response body is handed out piece by piece as it arrives, so SSE streams are relayed
// without buffering. Deadlines use beast::tcp_stream's own timer, which closes the socket when
// it fires: that is how a whole-call timeout cancels a read in progress.
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Url {
    bool tls = false;
    std::string host;   // without IPv6 brackets
    std::string port;
    std::string path;   // base path without trailing slash, e.g. "/v1"
    std::string host_header() const;
    std::string str() const;  // normalised, for messages
};

// "http[s]://host[:port][/path]". False (with a reason in err) for anything else.
bool parse_url(std::string_view text, Url& out, std::string& err);

// A TLS client context that verifies peers against the system trust store, plus ca_file if set.
std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file);

class UpstreamConnection {
public:
    using Clock = std::chrono::steady_clock;
    enum class Stage { resolve, connect, tls, write, read_header, read_body };

    UpstreamConnection(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> tls, const Url& url);
    ~UpstreamConnection();

    // Resolve, connect (bounded by connect_deadline as well) and, for https, the TLS handshake.
    asio::awaitable<void> connect(Clock::time_point deadline, Clock::time_point connect_deadline,
                                  beast::error_code& ec);
    asio::awaitable<void> write(http::request<http::string_body>& req, Clock::time_point deadline,
                                beast::error_code& ec);
    asio::awaitable<void> read_header(Clock::time_point deadline, beast::error_code& ec);
    // Appends whatever body bytes the next read produced (possibly none) to out.
    asio::awaitable<void> read_some(std::string& out, Clock::time_point deadline, beast::error_code& ec);

    int status() const;
    std::optional<std::string> header(std::string_view name) const;
    bool body_done() const;
    // Closes the socket now: cancels the request (the upstream sees the client gone).
    void close();
    // The last response was read to its end and the upstream keeps the connection open.
    bool reusable() const;
    Clock::time_point idle_since{};
    // The step of the last failed call, for error messages.
    Stage stage() const { return stage_; }

private:
    beast::tcp_stream& tcp();
    bool tcp_is_open() const { return tls_ ? tls_->next_layer().socket().is_open() : plain_->socket().is_open(); }
    void arm(Clock::time_point deadline);

    asio::any_io_executor ex_;
    std::shared_ptr<asio::ssl::context> tls_ctx_;
    Url url_;
    std::unique_ptr<beast::tcp_stream> plain_;
    std::unique_ptr<asio::ssl::stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::buffer_body>> parser_;  // one per response
    bool closed_ = false;
    std::array<char, 16 * 1024> scratch_;  // body bytes land here, then are appended to the caller's string
    Stage stage_ = Stage::resolve;
};

const char* to_string(UpstreamConnection::Stage s);

// Idle keep-alive connections to one upstream, handed to later calls: a request then skips the
// TCP (and TLS) handshake, and a busy gateway does not leave a TIME_WAIT socket per request.
// Thread-safe; a connection is owned by one call at a time.
class ConnectionPool {
public:
    ConnectionPool(std::size_t max_idle, std::chrono::milliseconds max_idle_time)
        : max_idle_(max_idle), max_idle_time_(max_idle_time) {}
    // The most recently used idle connection that is not too old, or null.
    std::unique_ptr<UpstreamConnection> take();
    // Keeps the connection if its last response allows reuse and there is room; else closes it.
    void give_back(std::unique_ptr<UpstreamConnection> conn);
    std::size_t idle() const;

private:
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<UpstreamConnection>> idle_;
    std::size_t max_idle_;
    std::chrono::milliseconds max_idle_time_;
};

}  // namespace switchyard::providers
