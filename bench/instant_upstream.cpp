// A fixed, instant OpenAI-compatible upstream for gateway-overhead benchmarks: every
// POST /v1/chat/completions gets the same small chat.completion at once, so any latency a
// gateway adds in front of it is the gateway's own. One thread per keep-alive connection.
// Not a model and not for tests of behaviour: bench/bench_gateway.py is its only user.
//
//   instant_upstream [port]   (0 or absent: any free port; prints the bound port first)
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

const std::string kCompletion =
    R"({"id":"chatcmpl-instant","object":"chat.completion","created":1700000000,"model":"instant",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}})";

void serve(tcp::socket socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) return;
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        if (req.target().starts_with("/v1/models")) res.body() = R"({"object":"list","data":[{"id":"instant","object":"model"}]})";
        else res.body() = kCompletion;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !req.keep_alive()) return;
    }
}

}  // namespace

int main(int argc, char** argv) {
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::stoi(argv[1])) : 0;
    asio::io_context io;
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << acceptor.local_endpoint().port() << std::endl;
    for (;;) {
        tcp::socket socket(io);
        acceptor.accept(socket);
        std::thread(serve, std::move(socket)).detach();
    }
}
