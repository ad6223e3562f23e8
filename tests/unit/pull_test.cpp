// Tests for the `switchyard pull` downloader against a local Python server
// (tests/support/range_server.py) that supports Range and fault injection.
#include "cli/pull.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#ifndef SWITCHYARD_SOURCE_DIR
#error "SWITCHYARD_SOURCE_DIR must name the repository root (for range_server.py)"
#endif

extern char** environ;

namespace {
namespace fs = std::filesystem;
using switchyard::cli::pull;
using switchyard::cli::pull_file_name;
using switchyard::cli::PullOptions;
using switchyard::cli::resolve_pull_url;

// Independent of the code under test: one-shot digest of an in-memory buffer.
std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

void write_file(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t append_to_string(char* d, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(d, s * n);
  return s * n;
}

class PullTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/switchyard_pull_test_XXXXXX";
    root_ = mkdtemp(tmpl);
    std::mt19937 rng(1234);  // deterministic ~3 MB payload, several curl buffers long
    payload_.resize(3 * 1024 * 1024 + 17);
    for (char& c : payload_) c = static_cast<char>(rng() & 0xff);
    const fs::path srv = root_ / "srv";
    write_file(srv / "model.gguf", payload_);
    write_file(srv / "abc.txt", "abc");
    write_file(srv / "owner/repo/resolve/main/sub/model.gguf", payload_);
    write_file(srv / "owner/repo/resolve/v1.0/model.gguf", "v1");
    write_file(srv / "owner/gated/resolve/main/model.gguf", "secret weights");

    // Start the server with stdout on a pipe; its first line is the port.
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string script = std::string(SWITCHYARD_SOURCE_DIR) + "/tests/support/range_server.py";
    std::string dir = srv.string();
    const char* argv[] = {"python3", script.c_str(), "--port", "0", "--dir", dir.c_str(),
                          "--token", "gated-token", nullptr};
    int rc = posix_spawnp(&pid_, "python3", &fa, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out_fd_ = fds[0];
    if (rc != 0) return;
    std::string line;
    char ch;
    while (read(out_fd_, &ch, 1) == 1 && ch != '\n') line += ch;
    port_ = std::atoi(line.c_str());
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    fs::remove_all(root_);
  }

  void SetUp() override {
    ASSERT_GT(port_, 0) << "range_server.py did not start (is python3 on PATH?)";
    dest_ = root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    unsetenv("HF_TOKEN");
    unsetenv("HF_ENDPOINT");
  }

  PullOptions opts(const std::string& path) const {
    PullOptions o;
    o.source = base_ + path;
    o.dest_dir = dest_;
    o.show_progress = false;
    return o;
  }

  // Number of file GETs the server has served, to prove a pull skipped the network.
  static int served() {
    std::string body;
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, (base_ + "/__count").c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &append_to_string);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return std::atoi(body.c_str());
  }

  static inline fs::path root_;
  static inline std::string payload_, base_;
  static inline pid_t pid_ = -1;
  static inline int out_fd_ = -1, port_ = 0;
  fs::path dest_;
};

TEST_F(PullTest, FullDownloadHashesWholeFile) {
  auto r = pull(opts("/model.gguf"));
  EXPECT_EQ(r.path, dest_ / "model.gguf");
  EXPECT_EQ(r.bytes, payload_.size());
  EXPECT_EQ(r.sha256, sha256_hex(payload_));
  EXPECT_FALSE(r.resumed);
  EXPECT_FALSE(r.already_present);
  EXPECT_EQ(read_file(r.path), payload_);
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf.part"));
}

TEST_F(PullTest, KnownSha256VectorVerifies) {
  auto o = opts("/abc.txt");
  o.expected_sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  auto r = pull(o);
  EXPECT_EQ(r.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(read_file(r.path), "abc");
}

TEST_F(PullTest, ResumesAfterDroppedConnection) {
  try {
    pull(opts("/model.gguf?drop_after=1000000"));
    FAIL() << "truncated transfer did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("resume"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf"));
  ASSERT_TRUE(fs::exists(dest_ / "model.gguf.part"));
  auto partial = fs::file_size(dest_ / "model.gguf.part");
  EXPECT_GT(partial, 0u);
  EXPECT_LE(partial, 1000000u);

  auto o = opts("/model.gguf");
  o.expected_sha256 = sha256_hex(payload_);
  auto r = pull(o);
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(r.sha256, sha256_hex(payload_));
  EXPECT_EQ(read_file(r.path), payload_);
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf.part"));
}

TEST_F(PullTest, ServerIgnoringRangeRestartsFromZero) {
  write_file(dest_ / "model.gguf.part", std::string(5000, 'x'));  // would corrupt if appended to
  auto r = pull(opts("/model.gguf?ignore_range=1"));
  EXPECT_FALSE(r.resumed);
  EXPECT_EQ(r.sha256, sha256_hex(payload_));
  EXPECT_EQ(read_file(r.path), payload_);
}

TEST_F(PullTest, CompletePartIsFinishedVia416) {
  write_file(dest_ / "model.gguf.part", payload_);
  auto r = pull(opts("/model.gguf"));
  EXPECT_TRUE(r.resumed);
  EXPECT_EQ(r.bytes, payload_.size());
  EXPECT_EQ(r.sha256, sha256_hex(payload_));
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf.part"));
}

TEST_F(PullTest, PartLargerThanRemoteIsDiscarded) {
  write_file(dest_ / "model.gguf.part", payload_ + "trailing junk");
  auto r = pull(opts("/model.gguf"));
  EXPECT_FALSE(r.resumed);
  EXPECT_EQ(read_file(r.path), payload_);
}

TEST_F(PullTest, WrongExpectedHashThrowsAndKeepsNothing) {
  auto o = opts("/model.gguf");
  o.expected_sha256 = sha256_hex("something else");
  try {
    pull(o);
    FAIL() << "hash mismatch did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf"));
  EXPECT_FALSE(fs::exists(dest_ / "model.gguf.part"));
}

TEST_F(PullTest, MalformedExpectedHashIsRejected) {
  auto o = opts("/model.gguf");
  o.expected_sha256 = "abc";
  EXPECT_THROW(pull(o), std::invalid_argument);
}

TEST_F(PullTest, HttpErrorsCarryStatusAndUrl) {
  try {
    pull(opts("/missing.gguf"));
    FAIL() << "404 did not throw";
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("404"), std::string::npos) << msg;
    EXPECT_NE(msg.find(base_ + "/missing.gguf"), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(dest_ / "missing.gguf"));
  try {
    pull(opts("/model.gguf?status=503"));
    FAIL() << "503 did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("503"), std::string::npos) << e.what();
  }
}

TEST_F(PullTest, ConnectionFailureThrows) {
  auto o = opts("");
  o.source = "http://127.0.0.1:1/model.gguf";
  EXPECT_THROW(pull(o), std::runtime_error);
}

TEST_F(PullTest, AlreadyPresentSkipsDownload) {
  write_file(dest_ / "model.gguf", "local copy");
  int before = served();
  auto r = pull(opts("/model.gguf"));
  EXPECT_TRUE(r.already_present);
  EXPECT_EQ(r.bytes, 10u);
  auto o = opts("/model.gguf");
  o.expected_sha256 = sha256_hex("local copy");
  r = pull(o);
  EXPECT_TRUE(r.already_present);
  EXPECT_EQ(r.sha256, sha256_hex("local copy"));
  EXPECT_EQ(served(), before);
  EXPECT_EQ(read_file(dest_ / "model.gguf"), "local copy");
}

TEST_F(PullTest, PresentFileWithWrongHashIsReplaced) {
  write_file(dest_ / "model.gguf", "stale");
  auto o = opts("/model.gguf");
  o.expected_sha256 = sha256_hex(payload_);
  auto r = pull(o);
  EXPECT_FALSE(r.already_present);
  EXPECT_EQ(read_file(dest_ / "model.gguf"), payload_);
}

TEST_F(PullTest, FollowsRedirectsAndHonoursOutputName) {
  auto o = opts("/redirect/abc.txt");
  o.output_name = "renamed.bin";
  auto r = pull(o);
  EXPECT_EQ(r.path, dest_ / "renamed.bin");
  EXPECT_EQ(read_file(r.path), "abc");
}

TEST_F(PullTest, HfSourceThroughEndpoint) {
  auto o = opts("");
  o.source = "hf:owner/repo/sub/model.gguf";
  o.hf_endpoint = base_;
  auto r = pull(o);
  EXPECT_EQ(r.path, dest_ / "model.gguf");
  EXPECT_EQ(r.sha256, sha256_hex(payload_));
  o.source = "hf:owner/repo/model.gguf@v1.0";
  o.output_name = "v1.gguf";
  EXPECT_EQ(read_file(pull(o).path), "v1");
}

TEST_F(PullTest, BearerTokenFromOptionOrHfTokenForHfOnly) {
  auto o = opts("");
  o.source = "hf:owner/gated/model.gguf";
  o.hf_endpoint = base_;
  try {
    pull(o);
    FAIL() << "gated file without token did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("401"), std::string::npos) << e.what();
  }
  setenv("HF_TOKEN", "gated-token", 1);
  EXPECT_EQ(read_file(pull(o).path), "secret weights");
  // The HF token must not be sent to arbitrary URLs.
  auto plain = opts("/abc.txt?require_token=gated-token");
  EXPECT_THROW(pull(plain), std::runtime_error);
  plain.bearer_token = "gated-token";
  EXPECT_EQ(read_file(pull(plain).path), "abc");
}

TEST_F(PullTest, ProgressOnlyWhenForcedOffTty) {
  auto o = opts("/model.gguf");
  o.show_progress = true;
  o.force_progress = true;  // stderr is not a TTY under the test runner
  ::testing::internal::CaptureStderr();
  pull(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("100.0%"), std::string::npos) << err;
  EXPECT_NE(err.find("MB/s"), std::string::npos) << err;
  EXPECT_NE(err.find('\r'), std::string::npos);

  fs::remove(dest_ / "model.gguf");
  o.show_progress = false;  // show_progress=false wins even when forced
  ::testing::internal::CaptureStderr();
  pull(o);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ResolvePullUrl, PlainUrlsPassThrough) {
  PullOptions o;
  o.source = "https://example.com/models/a.gguf?download=true";
  EXPECT_EQ(resolve_pull_url(o), o.source);
  o.source = "http://10.0.0.1:8080/a.gguf";
  EXPECT_EQ(resolve_pull_url(o), o.source);
}

TEST(ResolvePullUrl, HfForms) {
  unsetenv("HF_ENDPOINT");
  PullOptions o;
  o.source = "hf:TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_K_M.gguf";
  EXPECT_EQ(resolve_pull_url(o),
            "https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/main/llama-2-7b.Q4_K_M.gguf");
  o.source = "hf:org/repo/dir/sub/f.gguf@v2";
  EXPECT_EQ(resolve_pull_url(o), "https://huggingface.co/org/repo/resolve/v2/dir/sub/f.gguf");
  o.source = "hf:org/repo/f.gguf@refs/pr/1";  // a revision with '/' is one URL segment
  EXPECT_EQ(resolve_pull_url(o), "https://huggingface.co/org/repo/resolve/refs%2Fpr%2F1/f.gguf");
  o.source = "hf:org/repo/my file.gguf";
  EXPECT_EQ(resolve_pull_url(o), "https://huggingface.co/org/repo/resolve/main/my%20file.gguf");
  EXPECT_EQ(pull_file_name(o), "my file.gguf");

  setenv("HF_ENDPOINT", "https://mirror.example/", 1);
  o.source = "hf:org/repo/f.gguf";
  EXPECT_EQ(resolve_pull_url(o), "https://mirror.example/org/repo/resolve/main/f.gguf");
  o.hf_endpoint = "http://127.0.0.1:9";  // explicit option beats the environment
  EXPECT_EQ(resolve_pull_url(o), "http://127.0.0.1:9/org/repo/resolve/main/f.gguf");
  unsetenv("HF_ENDPOINT");
}

TEST(ResolvePullUrl, RejectsMalformedSources) {
  for (const char* bad : {"hf:org/repo", "hf:org/repo/", "hf:org//f.gguf", "hf:/repo/f.gguf",
                          "hf:org/repo/f.gguf@", "hf:org/repo/../x.gguf", "ftp://h/f.gguf",
                          "model.gguf", "https://host"}) {
    PullOptions o;
    o.source = bad;
    EXPECT_THROW(resolve_pull_url(o), std::invalid_argument) << bad;
  }
}

TEST(PullFileName, DerivedOrOverridden) {
  PullOptions o;
  o.source = "https://h/x/model%2Bq4.gguf?download=true#frag";
  EXPECT_EQ(pull_file_name(o), "model+q4.gguf");
  o.output_name = "mine.gguf";
  EXPECT_EQ(pull_file_name(o), "mine.gguf");
  for (const char* bad : {"../evil", "a/b", "..", "."}) {
    o.output_name = bad;
    EXPECT_THROW(pull_file_name(o), std::invalid_argument) << bad;
  }
  o.output_name.clear();
  o.source = "https://h/dir/";
  EXPECT_THROW(pull_file_name(o), std::invalid_argument);
}

}  // namespace
