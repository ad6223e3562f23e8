// Open-loop HTTP load generator: sends POSTs at a fixed rate over keep-alive connections and
// reports latency percentiles. Each request's latency is measured from the moment it was
// *scheduled*, not sent, so a server that falls behind is charged for the queue it causes
// (no coordinated omission, as in wrk2). One thread per connection; connection i sends
// requests i, i+C, i+2C, ... of the global schedule.
//
//   loadgen --url http://127.0.0.1:8080/v1/chat/completions --body FILE --rps 1000
//           --seconds 10 [--connections 32] [--warmup 1] [--header "Authorization: Bearer x"]
// Prints one JSON object: sent, sent_with_warmup, ok, errors, achieved_rps, p50_us, p90_us, p99_us, max_us.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1", port, target;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    double rps = 1000, seconds = 10, warmup = 1;
    int connections = 32;
};

struct Result {
    std::vector<double> latencies_us;  // after warm-up
    long errors = 0;
    long total = 0;                    // every request sent, warm-up included (for CPU per request)
};

static void run_connection(const Options& o, int index, Clock::time_point t0, Result& out) {
    asio::io_context io;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(o.host, o.port);
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    bool connected = false;
    const double total = o.warmup + o.seconds;
    for (long k = 0;; ++k) {
        double at = (index + k * static_cast<double>(o.connections)) / o.rps;
        if (at >= total) break;
        auto scheduled = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
        std::this_thread::sleep_until(scheduled);
        beast::error_code ec;
        if (!connected) {
            stream.connect(endpoints, ec);
            if (!ec) { stream.socket().set_option(tcp::no_delay(true)); connected = true; }
        }
        if (!ec) {
            http::request<http::string_body> req{http::verb::post, o.target, 11};
            req.set(http::field::host, o.host);
            req.set(http::field::content_type, "application/json");
            for (const auto& [k2, v] : o.headers) req.set(k2, v);
            req.body() = o.body;
            req.prepare_payload();
            http::write(stream, req, ec);
        }
        http::response<http::string_body> res;
        if (!ec) http::read(stream, buffer, res, ec);
        double us = std::chrono::duration<double, std::micro>(Clock::now() - scheduled).count();
        ++out.total;
        if (at < o.warmup) continue;
        if (ec || res.result_int() != 200) {
            ++out.errors;
            if (ec) { beast::error_code ignore; stream.socket().close(ignore); connected = false; buffer.clear(); }
            continue;
        }
        out.latencies_us.push_back(us);
    }
}

int main(int argc, char** argv) {
    Options o;
    std::string url;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--url") url = v;
        else if (a == "--body") { std::ifstream f(v); std::stringstream ss; ss << f.rdbuf(); o.body = ss.str(); }
        else if (a == "--rps") o.rps = std::stod(v);
        else if (a == "--seconds") o.seconds = std::stod(v);
        else if (a == "--warmup") o.warmup = std::stod(v);
        else if (a == "--connections") o.connections = std::stoi(v);
        else if (a == "--header") { auto c = v.find(':'); o.headers.emplace_back(v.substr(0, c), v.substr(v.find_first_not_of(' ', c + 1))); }
        else { std::cerr << "unknown option " << a << "\n"; return 2; }
    }
    // http://host:port/path only: this is a loopback benchmark tool.
    if (url.rfind("http://", 0) != 0) { std::cerr << "--url must be http://host:port/path\n"; return 2; }
    auto rest = url.substr(7);
    auto slash = rest.find('/');
    auto hostport = rest.substr(0, slash);
    o.target = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = hostport.rfind(':');
    o.host = hostport.substr(0, colon);
    o.port = colon == std::string::npos ? "80" : hostport.substr(colon + 1);

    std::vector<Result> results(o.connections);
    std::vector<std::thread> threads;
    auto t0 = Clock::now() + std::chrono::milliseconds(100);
    for (int i = 0; i < o.connections; ++i) threads.emplace_back(run_connection, std::cref(o), i, t0, std::ref(results[i]));
    for (auto& t : threads) t.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count() - o.warmup;
    std::vector<double> all;
    long errors = 0, total = 0;
    for (auto& r : results) { all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end()); errors += r.errors; total += r.total; }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
    std::cout << "{\"sent\": " << all.size() + errors << ", \"sent_with_warmup\": " << total << ", \"ok\": " << all.size() << ", \"errors\": " << errors
              << ", \"achieved_rps\": " << all.size() / std::max(elapsed, 1e-9) << ", \"p50_us\": " << pct(0.50)
              << ", \"p90_us\": " << pct(0.90) << ", \"p99_us\": " << pct(0.99) << ", \"max_us\": " << (all.empty() ? 0 : all.back())
              << "}" << std::endl;
}
