// Model downloader behind `switchyard pull URL|hf:owner/repo/file[@revision]`.
//
// Downloads go to "<dest>/<name>.part" and are renamed to "<dest>/<name>" only
// after the transfer completed and (optionally) the SHA-256 matched, so a file
// under its final name is always complete. An interrupted download leaves the
// .part behind; the next pull resumes it with an HTTP Range request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace switchyard::cli {

struct PullOptions {
  // "https://host/path/file.gguf", "http://...", or "hf:owner/repo/path/file.gguf"
  // with an optional "@revision" suffix (branch, tag or commit; default "main").
  std::string source;
  std::filesystem::path dest_dir;  // models folder; created if missing
  // Optional hex digest (case-insensitive). On mismatch pull() throws and
  // removes the download, so a bad file never appears under its final name.
  std::string expected_sha256;
  std::string output_name;  // file name override (no directory parts)
  // Progress bar on stderr, drawn only when stderr is a TTY or force_progress
  // is set (so logs and pipes are not flooded with \r-redraws).
  bool show_progress = true;
  bool force_progress = false;
  // Empty: env HF_ENDPOINT, else "https://huggingface.co".
  std::string hf_endpoint;
  // Sent as "Authorization: Bearer ..." Empty: env HF_TOKEN, but only for hf:
  // sources, so a Hugging Face token is never sent to arbitrary hosts.
  std::string bearer_token;
};

struct PullResult {
  std::filesystem::path path;  // final file
  std::uint64_t bytes = 0;     // final file size
  // Lowercase hex digest of the whole file. Empty only when already_present
  // and no expected_sha256 was given: re-hashing many GB just to report a
  // value nobody asked to verify would make a no-op pull slow.
  std::string sha256;
  bool resumed = false;          // an existing .part was continued (206/416)
  bool already_present = false;  // final file existed; nothing was downloaded
};

// Throws std::runtime_error with the HTTP status, URL and path on failure.
PullResult pull(const PullOptions& opts);

// The URL pull() fetches: plain http(s) URLs unchanged, hf: sources mapped to
// {endpoint}/owner/repo/resolve/{revision}/path. Throws std::invalid_argument
// for malformed sources. Reads HF_ENDPOINT only when opts.hf_endpoint is empty.
std::string resolve_pull_url(const PullOptions& opts);

// The file name pull() would use: output_name, else the URL's last path
// segment (query/fragment stripped, percent-decoded). Throws on unsafe names.
std::string pull_file_name(const PullOptions& opts);

}  // namespace switchyard::cli
