// The fixture of the RemoteProvider tests (remote_provider_test.cpp, anthropic_provider_test.cpp):
// one fault_upstream.py process per test suite (a FAKE FOR FAULT INJECTION ONLY, see that file), a
// provider config pointing at it, and run(), which drives one call to completion on io_.
#pragma once

#include "providers/remote_provider.h"
#include "fault_upstream_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace fault_upstream {

class ProviderTest : public ::testing::Test {
protected:
    using Clock = std::chrono::steady_clock;

    static void SetUpTestSuite() { upstream_ = std::make_unique<FakeUpstream>(); }
    static void TearDownTestSuite() { upstream_.reset(); }
    void SetUp() override { ASSERT_GT(upstream_->port(), 0) << "fault_upstream.py did not start"; }

    // A provider on the fake upstream; short backoff so retries do not slow the suite.
    static switchyard::RemoteProviderSpec upstream_config(const std::string& name, switchyard::RemoteProviderSpec::Api api) {
        using namespace std::chrono_literals;
        switchyard::RemoteProviderSpec c;
        c.name = name;
        c.api = api;
        c.base_url = "http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1";
        c.timeout = 10s;
        c.retry_backoff = 10ms;
        return c;
    }

    // Runs one awaitable to completion on io_ (bounded, so a hang fails instead of blocking).
    switchyard::providers::ProviderResult run(asio::awaitable<switchyard::providers::ProviderResult> aw) {
        using namespace std::chrono_literals;
        std::optional<switchyard::providers::ProviderResult> out;
        std::exception_ptr error;
        asio::co_spawn(io_, std::move(aw), [&](std::exception_ptr e, switchyard::providers::ProviderResult r) {
            error = e;
            out = std::move(r);
        });
        io_.restart();
        // Until the call is done (not until io_ runs dry: health-probe loops never do).
        const auto deadline = Clock::now() + 30s;
        while (!out && !error && Clock::now() < deadline) io_.run_one_for(100ms);
        if (error) std::rethrow_exception(error);
        EXPECT_TRUE(out.has_value()) << "call did not finish in 30 s";
        return out.value_or(switchyard::providers::ProviderResult{});
    }

    asio::io_context io_;
    static inline std::unique_ptr<FakeUpstream> upstream_;
};

}  // namespace fault_upstream
