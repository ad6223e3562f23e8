#include "cli/pull.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace switchyard::cli {
namespace fs = std::filesystem;
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

// RFC 3986 unreserved characters pass through; '/' only when it separates
// path segments (a revision like "refs/pr/1" must become one segment).
std::string url_encode(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || (c != 0 && std::strchr("-._~", c)) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      char esc[4];
      std::snprintf(esc, sizeof esc, "%%%02X", c);
      out += esc;
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Streaming SHA-256 so a multi-GB model is hashed while it downloads instead
// of being read a second time afterwards.
class Sha256 {
 public:
  Sha256() { reset(); }
  void reset() {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("pull: OpenSSL SHA-256 init failed");
  }
  void update(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    char out[2 * EVP_MAX_MD_SIZE + 1] = {0};
    for (unsigned i = 0; i < len; ++i) std::snprintf(out + 2 * i, 3, "%02x", md[i]);
    return out;
  }
  // Hashes a whole file (the existing .part, or a present final file).
  std::uint64_t update_from(const fs::path& p) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(p.c_str(), "rb"), &std::fclose);
    if (!f) throw std::runtime_error("pull: cannot read " + p.string() + ": " + strerror(errno));
    std::vector<char> buf(1 << 20);
    std::uint64_t total = 0;
    while (size_t n = std::fread(buf.data(), 1, buf.size(), f.get())) {
      update(buf.data(), n);
      total += n;
    }
    if (std::ferror(f.get())) throw std::runtime_error("pull: read error on " + p.string());
    return total;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

enum class Outcome { kPending, kWriting, kComplete, kRestart, kHttpError, kIoError };

// State shared with the libcurl callbacks. Callbacks are C code paths, so they
// record failures here and return 0 (abort) rather than throwing.
struct Transfer {
  fs::path part;
  Sha256* sha = nullptr;
  bool progress = false, drew = false;  // progress bar wanted / drawn
  std::uint64_t offset = 0;  // bytes already in .part (0 after a restart)
  CURL* curl = nullptr;
  std::FILE* out = nullptr;
  Outcome outcome = Outcome::kPending;
  long status = 0;
  std::string reason{}, io_error{};  // status line text; I/O failure for messages
  std::optional<std::uint64_t> cr_start{}, cr_total{};  // Content-Range of the current response
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last_draw{};
};

// Headers arrive for every response, including redirects, so Content-Range is
// reset at each status line and only the final response's values survive.
size_t on_header(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.starts_with("HTTP/")) {
    t->cr_start.reset();
    t->cr_total.reset();
    size_t sp = line.find(' ', line.find(' ') + 1);  // "HTTP/1.1 404 Not Found"
    t->reason = sp == std::string::npos ? "" : line.substr(sp + 1);
  } else if (line.size() > 14 && strncasecmp(line.c_str(), "content-range:", 14) == 0) {
    // "bytes 100-999/1000" or "bytes */1000" (the latter with 416).
    unsigned long long a = 0, b = 0, total = 0;
    const char* v = line.c_str() + 14;
    if (std::sscanf(v, " bytes %llu-%llu/%llu", &a, &b, &total) == 3) t->cr_start = a;
    if (t->cr_start || std::sscanf(v, " bytes */%llu", &total) == 1) t->cr_total = total;
  }
  return size * n;
}

size_t fail_io(Transfer* t, const std::string& what) {
  t->outcome = Outcome::kIoError;
  t->io_error = what + " " + t->part.string() + ": " + std::strerror(errno);
  return 0;
}

// Decides what to do with the body once the final response status is known.
// Called on the first body byte, or after the transfer if there was no body.
void decide(Transfer* t) {
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
  if (t->status == 416 && t->offset > 0) {
    // Nothing left to send. If the server's size disagrees, the .part belongs
    // to a different (e.g. since-updated) file and must be discarded.
    t->outcome = (!t->cr_total || *t->cr_total == t->offset) ? Outcome::kComplete
                                                             : Outcome::kRestart;
    return;
  }
  t->outcome = Outcome::kHttpError;
  if (t->status < 200 || t->status >= 300) return;
  // A range starting elsewhere would splice unrelated bytes into the file.
  t->outcome = Outcome::kRestart;
  if (t->status == 206 && t->cr_start != t->offset) return;
  if (t->status != 206) {  // server ignored Range: the body is the whole file
    t->offset = 0;
    t->sha->reset();
  }
  t->outcome = Outcome::kWriting;
  t->out = std::fopen(t->part.c_str(), t->offset > 0 ? "ab" : "wb");
  if (t->out == nullptr) fail_io(t, "cannot open");
  else std::setvbuf(t->out, nullptr, _IOFBF, 1 << 20);
}

size_t on_body(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  if (t->outcome == Outcome::kPending) decide(t);
  if (t->out == nullptr) return 0;  // error/416/restart: stop reading the body
  if (std::fwrite(data, 1, size * n, t->out) != size * n) return fail_io(t, "cannot write");
  t->sha->update(data, size * n);
  return size * n;
}

void draw_progress(Transfer* t, curl_off_t dltotal, curl_off_t dlnow, bool final) {
  auto now = std::chrono::steady_clock::now();
  if (!final && now - t->last_draw < std::chrono::milliseconds(200)) return;
  t->last_draw = now;
  double secs = std::chrono::duration<double>(now - t->start).count();
  double rate = secs > 0 ? dlnow / secs : 0;  // this session only, not the resumed part
  double done = static_cast<double>(t->offset + dlnow), mb = 1e6;
  char line[160];
  if (dltotal > 0) {
    double total = static_cast<double>(t->offset + dltotal);
    long eta = rate > 0 ? static_cast<long>((total - done) / rate) : 0;
    std::snprintf(line, sizeof line, "\r%5.1f%%  %.1f/%.1f MB  %.1f MB/s  ETA %ld:%02ld:%02ld   ",
                  100.0 * done / total, done / mb, total / mb, rate / mb, eta / 3600,
                  eta / 60 % 60, eta % 60);
  } else {
    std::snprintf(line, sizeof line, "\r%.1f MB  %.1f MB/s   ", done / mb, rate / mb);
  }
  std::fputs(line, stderr);
  t->drew = true;
}

int on_progress(void* ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(ud);
  if (t->progress && t->out != nullptr) draw_progress(t, dltotal, dlnow, false);
  return 0;
}

// One HTTP request resuming from whatever .part holds. Returns how it ended;
// throws for transport errors and HTTP errors.
Outcome transfer(const std::string& url, const std::string& token, Transfer& t) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("pull: curl_easy_init failed");
  t.curl = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* raw_headers = nullptr;
  // A custom Authorization header is dropped by libcurl on redirects to
  // another host, so the token is not leaked to CDNs serving signed URLs.
  if (!token.empty())
    raw_headers = curl_slist_append(raw_headers, ("Authorization: Bearer " + token).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(raw_headers, &curl_slist_free_all);
  std::string range = std::to_string(t.offset) + "-";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_USERAGENT, "switchyard-pull/1");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (t.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  // Stall detection instead of a total timeout: a 40 GB model legitimately
  // takes hours, but a connection stuck below 1 KB/s for 30 s is dead.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK && t.outcome == Outcome::kPending) decide(&t);  // empty body
  if (t.drew) {
    curl_off_t total = 0, now = 0;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
    curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &now);
    draw_progress(&t, total, now, true);
    std::fputc('\n', stderr);
  }
  // Flush and fsync before the caller renames, so a crash cannot leave a
  // truncated file under the final name.
  if (t.out != nullptr) {
    bool failed = std::fflush(t.out) != 0 || ::fsync(fileno(t.out)) != 0;
    failed = std::fclose(t.out) != 0 || failed;
    t.out = nullptr;
    if (failed && t.outcome != Outcome::kIoError) fail_io(&t, "cannot write");
  }
  if (t.outcome == Outcome::kIoError) throw std::runtime_error("pull: " + t.io_error);
  if (t.outcome == Outcome::kHttpError) {
    std::string msg = "pull: HTTP " + std::to_string(t.status);
    if (!t.reason.empty()) msg += " " + t.reason;
    msg += " for " + url;
    if (t.status == 401 || t.status == 403)
      msg += token.empty() ? " (private or gated? set HF_TOKEN)" : " (token lacks access)";
    throw std::runtime_error(msg);
  }
  if (t.outcome == Outcome::kComplete || t.outcome == Outcome::kRestart) return t.outcome;
  if (rc != CURLE_OK) {
    std::string msg = "pull: download of " + url + " failed: " + curl_easy_strerror(rc);
    if (errbuf[0] != '\0') msg += std::string(" (") + errbuf + ")";
    if (std::uint64_t have = fs::exists(t.part) ? fs::file_size(t.part) : 0; have > 0)
      msg += "; " + std::to_string(have) + " bytes kept in " + t.part.string() +
             ", run pull again to resume";
    throw std::runtime_error(msg);
  }
  return t.outcome;
}

}  // namespace

std::string resolve_pull_url(const PullOptions& opts) {
  const std::string& s = opts.source;
  if (s.starts_with("http://") || s.starts_with("https://")) {
    if (s.find_first_of(" \t\r\n") != std::string::npos || s.find('/', 8) == std::string::npos)
      throw std::invalid_argument("pull: malformed URL '" + s + "'");
    return s;
  }
  if (!s.starts_with("hf:"))
    throw std::invalid_argument("pull: unsupported source '" + s +
                                "' (expected http(s)://... or hf:owner/repo/file)");
  std::string rest = s.substr(3);
  std::string revision = "main";
  size_t p1 = rest.find('/');
  size_t p2 = p1 == std::string::npos ? p1 : rest.find('/', p1 + 1);
  // The last '@' after owner/repo/ starts the revision, which may itself
  // contain '/' (e.g. "refs/pr/1").
  size_t at = rest.rfind('@');
  if (at != std::string::npos && p2 != std::string::npos && at > p2) {
    revision = rest.substr(at + 1);
    rest.resize(at);
  }
  if (p2 == std::string::npos || p1 == 0 || p2 == p1 + 1 || p2 + 1 >= rest.size() ||
      revision.empty())
    throw std::invalid_argument("pull: malformed source '" + s +
                                "' (expected hf:owner/repo/path/file[@revision])");
  std::string path = rest.substr(p2 + 1);
  if (path.find("//") != std::string::npos || path.back() == '/' ||
      ("/" + path + "/").find("/../") != std::string::npos)
    throw std::invalid_argument("pull: malformed file path in '" + s + "'");
  std::string endpoint = opts.hf_endpoint;
  if (endpoint.empty()) endpoint = env_or("HF_ENDPOINT", "https://huggingface.co");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint + "/" + url_encode(rest.substr(0, p1), false) + "/" +
         url_encode(rest.substr(p1 + 1, p2 - p1 - 1), false) + "/resolve/" +
         url_encode(revision, false) + "/" + url_encode(path, true);
}

std::string pull_file_name(const PullOptions& opts) {
  std::string name = opts.output_name;
  if (name.empty()) {
    std::string url = resolve_pull_url(opts);
    url = url.substr(0, url.find_first_of("?#"));
    size_t host = url.find("://");
    size_t slash = url.rfind('/');
    if (slash != std::string::npos && slash > host + 2) name = url_decode(url.substr(slash + 1));
  }
  // The name is joined onto dest_dir, so it must not climb out of it.
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
    throw std::invalid_argument("pull: cannot use '" + name + "' as a file name for '" +
                                opts.source + "'; pass an output name");
  return name;
}

PullResult pull(const PullOptions& opts) {
  const std::string url = resolve_pull_url(opts);
  const std::string name = pull_file_name(opts);
  std::string expected = opts.expected_sha256;
  for (char& ch : expected) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!expected.empty() && (expected.size() != 64 ||
                            expected.find_first_not_of("0123456789abcdef") != std::string::npos))
    throw std::invalid_argument("pull: expected sha256 '" + opts.expected_sha256 +
                                "' is not 64 hex digits");
  fs::create_directories(opts.dest_dir);
  PullResult r;
  r.path = opts.dest_dir / name;
  const fs::path part = opts.dest_dir / (name + ".part");
  if (fs::exists(r.path)) {
    r.bytes = fs::file_size(r.path);
    if (!expected.empty()) {
      Sha256 h;
      h.update_from(r.path);
      r.sha256 = h.hex();
    }
    if (r.sha256 == expected) {  // both empty when no hash was asked for
      r.already_present = true;
      return r;
    }
    // A stale or corrupt copy: download a replacement; the final rename
    // swaps it in atomically, so the old file stays usable until then.
  }

  std::string token = opts.bearer_token;
  if (token.empty() && opts.source.starts_with("hf:")) token = env_or("HF_TOKEN", "");
  const bool progress = opts.show_progress && (opts.force_progress || ::isatty(STDERR_FILENO));
  Sha256 sha;
  Outcome outcome = Outcome::kRestart;
  std::uint64_t start_offset = 0;
  // At most one restart: a .part that the server's Range answer shows to be
  // inconsistent is discarded and the file fetched from zero.
  for (int attempt = 0; attempt < 2 && outcome == Outcome::kRestart; ++attempt) {
    if (attempt > 0) fs::remove(part);
    Transfer t{.part = part, .sha = &sha, .progress = progress};
    sha.reset();
    if (fs::exists(part)) t.offset = sha.update_from(part);  // hash existing bytes first
    outcome = transfer(url, token, t);
    start_offset = t.offset;  // 0 if the server answered 200 to the Range request
  }
  if (outcome == Outcome::kRestart)
    throw std::runtime_error("pull: server keeps answering with an unexpected range for " + url);

  r.sha256 = sha.hex();
  r.bytes = fs::file_size(part);
  r.resumed = start_offset > 0;
  if (!expected.empty() && r.sha256 != expected) {
    // Dropping the .part too: resuming bytes that hash wrong would only
    // reproduce the same mismatch on the next attempt.
    fs::remove(part);
    throw std::runtime_error("pull: SHA-256 mismatch for " + url + ": expected " + expected +
                             ", got " + r.sha256 + "; removed " + part.string());
  }
  fs::rename(part, r.path);
  return r;
}

}  // namespace switchyard::cli
