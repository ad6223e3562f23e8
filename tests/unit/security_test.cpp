// The pure parts of the security checks: origin and Host matching, key comparison, rate limits,
// path confinement (real folders and symlinks in a temporary directory) and address ranges.
#include "api/access_policy.h"
#include "api/rate_limiter.h"
#include "pipeline/confinement.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace switchyard;
namespace fs = std::filesystem;

TEST(AccessPolicy, HostHeaderAllowsLoopbackNamesAndIpLiteralsOnly) {
    api::AccessPolicy p;
    for (const char* h : {"localhost", "localhost:8080", "LOCALHOST.", "app.localhost:1", "127.0.0.1:8080", "[::1]:8080",
                          "192.168.1.20", "", "10.0.0.1:80"})
        EXPECT_TRUE(api::host_allowed(p, h)) << h;
    for (const char* h : {"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "mylocalhost"})
        EXPECT_FALSE(api::host_allowed(p, h)) << h;
    p.allowed_hosts = {"box.lan", ".corp.example"};
    EXPECT_TRUE(api::host_allowed(p, "box.lan:8080"));
    EXPECT_TRUE(api::host_allowed(p, "gpu1.corp.example"));
    EXPECT_TRUE(api::host_allowed(p, "corp.example"));
    EXPECT_FALSE(api::host_allowed(p, "evilcorp.example"));
    EXPECT_EQ(api::host_of_header("[::1]:80"), "::1");
}

TEST(AccessPolicy, OriginsMustBeListedOrSameOrigin) {
    api::AccessPolicy p;
    EXPECT_FALSE(api::origin_allowed(p, "https://evil.example", "127.0.0.1:8080"));
    EXPECT_FALSE(api::origin_allowed(p, "null", "127.0.0.1:8080"));
    EXPECT_TRUE(api::origin_allowed(p, "http://127.0.0.1:8080", "127.0.0.1:8080"));     // the server's own page
    EXPECT_FALSE(api::origin_allowed(p, "http://127.0.0.1:9999", "127.0.0.1:8080"));    // another local port is another origin
    EXPECT_FALSE(api::origin_allowed(p, "http://evil.example", "evil.example"));        // rebinding: Host not allowed
    p.cors_origins = {"https://App.example:8443"};
    EXPECT_TRUE(api::origin_allowed(p, "https://app.example:8443", "127.0.0.1:8080"));
    EXPECT_FALSE(api::origin_allowed(p, "https://app.example", "127.0.0.1:8080"));
    EXPECT_FALSE(api::origin_allowed(p, "http://app.example:8443", "127.0.0.1:8080"));
    p.cors_origins = {"*"};
    EXPECT_TRUE(api::origin_allowed(p, "https://anything.example", "127.0.0.1:8080"));
}

TEST(AccessPolicy, RefusalsNameTheSettingAndHeadersEchoTheOrigin) {
    api::AccessPolicy p;
    auto err = api::check_browser_access(p, "https://evil.example", "127.0.0.1:8080");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 403);
    EXPECT_EQ(err->code, "origin_not_allowed");
    EXPECT_NE(err->message.find("server.cors_origins"), std::string::npos);
    err = api::check_browser_access(p, "", "attacker.example");
    ASSERT_TRUE(err);
    EXPECT_EQ(err->code, "host_not_allowed");
    EXPECT_NE(err->message.find("server.allowed_hosts"), std::string::npos);
    EXPECT_FALSE(api::check_browser_access(p, "", "localhost:1234"));
    p.cors_origins = {"https://app.example"};
    auto h = api::cors_headers(p, "https://app.example");
    EXPECT_EQ(h["Access-Control-Allow-Origin"], "https://app.example");
    EXPECT_EQ(h["Vary"], "Origin");
    EXPECT_TRUE(api::cors_headers(p, "").empty());
    auto pre = api::preflight_headers(p, "https://app.example", "authorization, content-type");
    EXPECT_EQ(pre["Access-Control-Allow-Headers"], "authorization, content-type");
    EXPECT_NE(pre["Access-Control-Allow-Methods"].find("POST"), std::string::npos);
}

TEST(AccessPolicy, ConstantTimeEquals) {
    EXPECT_TRUE(api::constant_time_equals("sk-abc", "sk-abc"));
    EXPECT_TRUE(api::constant_time_equals("", ""));
    EXPECT_FALSE(api::constant_time_equals("sk-abc", "sk-abd"));
    EXPECT_FALSE(api::constant_time_equals("sk-abc", "sk-ab"));
    EXPECT_FALSE(api::constant_time_equals("sk-ab", "sk-abc"));
    EXPECT_FALSE(api::constant_time_equals("", "x"));
    EXPECT_FALSE(api::constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(RateLimiter, RequestsPerMinuteThenRecovers) {
    api::RateLimiter rl;
    api::RateLimiter::Limits lim{2, 0};
    EXPECT_EQ(rl.admit("k", lim, 100.0), 0);
    EXPECT_EQ(rl.admit("k", lim, 110.0), 0);
    EXPECT_EQ(rl.admit("k", lim, 120.0), 40);     // the oldest leaves the window at 160
    EXPECT_EQ(rl.admit("other", lim, 120.0), 0);  // callers are counted apart
    EXPECT_EQ(rl.admit("k", lim, 160.5), 0);
    EXPECT_EQ(rl.admit("k", api::RateLimiter::Limits{}, 161.0), 0);   // no limits: always admitted
}

TEST(RateLimiter, TokensPerMinute) {
    api::RateLimiter rl;
    api::RateLimiter::Limits lim{0, 100};
    EXPECT_EQ(rl.admit("k", lim, 0.0), 0);
    rl.add_tokens("k", 70, 1.0);
    EXPECT_EQ(rl.admit("k", lim, 2.0), 0);        // 70 < 100: one more may start
    rl.add_tokens("k", 50, 3.0);
    EXPECT_EQ(rl.admit("k", lim, 4.0), 57);       // 120 used; under the limit once the 70 expire at 61
    EXPECT_EQ(rl.admit("k", lim, 61.5), 0);
}

class Confinement : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("sy-confine-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_ / "root" / "docs");
        fs::create_directories(dir_ / "outside");
        std::ofstream(dir_ / "outside" / "secret.txt") << "secret";
        std::ofstream(dir_ / "root" / "docs" / "a.txt") << "a";
        fs::create_directory_symlink(dir_ / "outside", dir_ / "root" / "escape");
        fs::create_symlink(dir_ / "outside" / "secret.txt", dir_ / "root" / "docs" / "link.txt");
        rules_.confine_files = true;
        rules_.roots = {dir_ / "root"};
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
    pipeline::AccessRules rules_;
};

TEST_F(Confinement, InsideARootPasses) {
    EXPECT_EQ(pipeline::confine_path(dir_ / "root" / "docs", "", rules_, "folder"), fs::canonical(dir_ / "root" / "docs"));
    EXPECT_NO_THROW(pipeline::confine_path("docs/a.txt", dir_ / "root", rules_, "file"));   // relative to base_dir
    EXPECT_NO_THROW(pipeline::confine_path(dir_ / "root" / "docs" / "not-yet.txt", "", rules_, "file"));
    EXPECT_NO_THROW(pipeline::confine_path(dir_ / "root", "", rules_, "folder"));
}

TEST_F(Confinement, DotDotSymlinksAndOtherFoldersAreRefused) {
    for (const fs::path& p : {dir_ / "outside", dir_ / "root" / ".." / "outside", dir_ / "root" / "docs" / ".." / ".." / "outside" / "secret.txt",
                              dir_ / "root" / "escape", dir_ / "root" / "escape" / "secret.txt", dir_ / "root" / "docs" / "link.txt",
                              fs::path("/etc/passwd"), dir_ / "rootx"}) {
        try {
            pipeline::confine_path(p, "", rules_, "files: folder");
            ADD_FAILURE() << "not refused: " << p;
        } catch (const pipeline::AccessDenied& e) {
            EXPECT_TRUE(pipeline::is_access_denied(e.what()));
            EXPECT_NE(std::string(e.what()).find("pipelines.roots"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
        }
    }
    pipeline::AccessRules none;
    none.confine_files = true;
    EXPECT_THROW(pipeline::confine_path(dir_ / "root", "", none, "folder"), pipeline::AccessDenied);
    pipeline::AccessRules open;   // not confined (library default)
    EXPECT_NO_THROW(pipeline::confine_path("/etc/passwd", "", open, "file"));
}

TEST(PathWithin, ComparesComponentsNotPrefixes) {
    EXPECT_TRUE(pipeline::path_within("/a/b/c", "/a/b"));
    EXPECT_TRUE(pipeline::path_within("/a/b", "/a/b"));
    EXPECT_TRUE(pipeline::path_within("/a/b/c", "/a/b/"));
    EXPECT_FALSE(pipeline::path_within("/a/bc", "/a/b"));
    EXPECT_FALSE(pipeline::path_within("/a", "/a/b"));
}

TEST(InternalAddress, RangesAreRecognised) {
    for (const char* ip : {"127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.10",
                           "169.254.169.254", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fe80::1%eth0",
                           "fd00::1", "fc12::3", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "ff02::1",
                           "[::1]", "2002:7f00:1::", "not-an-ip", ""})
        EXPECT_TRUE(pipeline::is_internal_address(ip)) << ip;
    for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.128.0.1", "2606:4700::1111",
                           "::ffff:8.8.8.8", "2a00:1450:4001::200e"})
        EXPECT_FALSE(pipeline::is_internal_address(ip)) << ip;
}

TEST(HostList, ExactWildcardAndStar) {
    EXPECT_TRUE(pipeline::host_in_list("api.example.com", {"api.example.com"}));
    EXPECT_TRUE(pipeline::host_in_list("API.Example.com.", {"api.example.com"}));
    EXPECT_TRUE(pipeline::host_in_list("a.b.example.com", {"*.example.com"}));
    EXPECT_TRUE(pipeline::host_in_list("example.com", {"*.example.com"}));
    EXPECT_FALSE(pipeline::host_in_list("evilexample.com", {"*.example.com"}));
    EXPECT_FALSE(pipeline::host_in_list("example.com.evil.net", {"example.com"}));
    EXPECT_FALSE(pipeline::host_in_list("x.com", {}));
    EXPECT_TRUE(pipeline::host_in_list("x.com", {"*"}));
}
