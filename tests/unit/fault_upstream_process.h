// A fault_upstream.py process (tests/support/) for the remote-provider tests, and a plain GET to
// read what it recorded. Header-only: included by one test file each.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#ifndef SWITCHYARD_SOURCE_DIR
#error "SWITCHYARD_SOURCE_DIR must name the repository root (for fault_upstream.py)"
#endif

extern char** environ;

namespace fault_upstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

// One fault_upstream.py process; stopped when this goes out of scope.
class FakeUpstream {
public:
    explicit FakeUpstream(std::vector<std::string> extra = {}) {
        std::string script = std::string(SWITCHYARD_SOURCE_DIR) + "/tests/support/fault_upstream.py";
        std::vector<std::string> args = {"python3", script, "--port", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int fds[2];
        if (pipe(fds) != 0) return;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        int rc = posix_spawnp(&pid_, "python3", &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        if (rc == 0) {
            std::string line;
            char ch;
            while (read(fds[0], &ch, 1) == 1 && ch != '\n') line += ch;
            port_ = std::atoi(line.c_str());
        } else {
            pid_ = 0;
        }
        close(fds[0]);
    }
    ~FakeUpstream() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    int port() const { return port_; }

private:
    pid_t pid_ = 0;
    int port_ = 0;
};

// Plain synchronous GET, independent of the code under test.
inline json get_json(int port, const std::string& target) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return json::parse(res.body());
}

}  // namespace fault_upstream
