// A small asynchronous HTTP/1.1 server on Boost.Beast with C++20 coroutines: keep-alive, body
// size limit, idle timeout, chunked server-sent events, client-disconnect detection and graceful
// shutdown. It knows nothing about OpenAI; routes are registered by api/routes.cpp.
//
// Why Beast: header-only from Debian's Boost 1.81, asynchronous (one thread serves thousands of
// idle keep-alive connections), and gives byte-level control over streaming that SSE needs.
#pragma once

#include "api/access_policy.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace switchyard::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Request = http::request<http::string_body>;

// The handler's side of one exchange: send one response, or open an event stream and write events.
class Exchange {
public:
    virtual ~Exchange() = default;
    virtual asio::awaitable<void> respond(int status, std::string content_type, std::string body,
                                          std::map<std::string, std::string> headers = {}) = 0;
    // Starts a text/event-stream response; returns false if the client is gone.
    virtual asio::awaitable<bool> begin_stream(std::map<std::string, std::string> headers = {}) = 0;
    virtual asio::awaitable<bool> write_stream(std::string data) = 0;
    // Ends the stream; `last` (the protocol's closing events, e.g. "data: [DONE]") goes out in the
    // same write as the terminating chunk, after the before_last_bytes hook ran.
    virtual asio::awaitable<void> end_stream(std::string last = {}) = 0;
    // Runs once, right before the bytes that complete the answer are written (a whole response,
    // or a stream's closing events): the request log records the entry here, so an answered
    // request is logged even if the process is killed a moment later. Gets the status sent.
    virtual void before_last_bytes(std::function<void(int status)> hook) = 0;
    // Called (once, on the connection's executor) when the client closes the connection mid-request.
    virtual void on_disconnect(std::function<void()> callback) = 0;
    virtual bool client_gone() const = 0;
    virtual int status_sent() const = 0;
};

using Handler = std::function<asio::awaitable<void>(const Request&, Exchange&)>;

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    int io_threads = 2;
    std::size_t max_body_bytes = 8u << 20;
    std::chrono::seconds idle_timeout{60};
    // Once a request's first byte arrived: its headers, then its body, must arrive within these,
    // else 408 and the connection is closed (slow or lying clients cannot hold it).
    std::chrono::seconds header_timeout{10};
    std::chrono::seconds body_timeout{30};
    AccessPolicy access;                 // Origin and Host checks, CORS headers
};

class HttpServer {
public:
    explicit HttpServer(HttpServerOptions options);
    ~HttpServer();
    void route(http::verb method, std::string path, Handler handler);
    // For /v1/pipelines/{name}-style paths: the handler gets every path starting with prefix.
    void route_prefix(http::verb method, std::string prefix, Handler handler);
    // Binds and listens; returns the bound port (useful with port 0). Throws on bind failure.
    int listen();
    // Runs the I/O threads until stop(). Blocks.
    void run();
    // Stops accepting; keeps serving requests already in flight.
    void stop_accepting();
    // Stops everything now.
    void stop();
    int in_flight() const { return in_flight_.load(); }
    asio::io_context& io() { return ioc_; }

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket);
    asio::awaitable<void> dispatch(const Request& req, Exchange& ex);

    HttpServerOptions opt_;
    asio::io_context ioc_;
    asio::ip::tcp::acceptor acceptor_;
    std::map<std::pair<http::verb, std::string>, Handler> routes_;
    std::map<std::pair<http::verb, std::string>, Handler> prefix_routes_;
    std::atomic<int> in_flight_{0};
    std::atomic<bool> accepting_{true};
};

// OpenAI-style JSON error response helper shared by handlers.
asio::awaitable<void> respond_json(Exchange& ex, int status, const std::string& json_body,
                                   std::map<std::string, std::string> headers = {});

}  // namespace switchyard::api
