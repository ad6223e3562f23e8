// Switchyard configuration: the YAML file that declares the server and its models.
// Parsing is strict: an unknown key, a wrong type or a missing file is a ConfigError whose
// message names the file, the YAML path and the line, so a broken config is fixed in one look.
#pragma once

#include "config/routing_config.h"
#include "config/session_cache_config.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Sampling defaults for a model; a request's own fields override them.
struct SamplingDefaults {
    float temperature = 0.8f;
    float top_p = 0.95f;
    int top_k = 40;
    float min_p = 0.05f;
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    float repeat_penalty = 1.0f;
    int max_tokens = 512;
};

enum class ModelKind { chat, embedding };

// Speculative decoding by prompt lookup (engine/ngram_draft.h): greedy requests (temperature 0)
// draft up to max_draft tokens from an earlier occurrence of the answer's last `ngram` tokens and
// verify them in one batch. Off (ngram 0) unless configured: it pays only where answers copy their input.
struct SpeculativeSpec {
    int ngram = 0;                       // tokens matched; 0 = off
    int max_draft = 8;                   // draft tokens verified per step
};

struct ModelSpec {
    std::string name;
    std::filesystem::path file;          // absolute after loading the config
    std::string file_as_written;         // as in the config: what error messages show (no absolute path unless written so)
    std::filesystem::path chat_template; // Jinja file overriding the GGUF's template ("" = use the GGUF's)
    ModelKind kind = ModelKind::chat;
    std::vector<std::string> aliases;
    int context_size = 4096;             // tokens per sequence
    int parallel = 4;                    // sequences decoded together (continuous batching)
    int batch_size = 512;                // tokens per llama_decode call
    int threads = 0;                     // 0 = every core (engine/loaded_model.cpp)
    int gpu_layers = 0;                  // only used by CUDA builds
    SpeculativeSpec speculative;
    int queue_limit = 64;                // waiting requests beyond the running ones; more => 429
    std::chrono::seconds keep_alive{300};
    SamplingDefaults sampling;
};

// A client key. Its name (never the key) identifies the caller in the request log.
struct ApiKeySpec {
    enum class Period { day, month, total };
    std::string name;
    std::string key;                             // read from the key_env variable at load time
    bool local_only = false;                     // this key's requests never leave the machine
    double spend_limit = -1;                     // USD per period on priced (remote) tiers; < 0 = none
    Period period = Period::day;                 // day and month are calendar periods, UTC
    bool admin = false;                          // role: admin may call admin endpoints (DELETE /v1/route/bumps)
    int requests_per_minute = -1;                // < 0: server.rate_limit's value (none by default)
    long long tokens_per_minute = -1;            // prompt + completion tokens; < 0: server.rate_limit's
};

// Per-key limits over a sliding minute; 0 = no limit.
struct RateLimitSpec {
    int requests_per_minute = 0;
    long long tokens_per_minute = 0;
};

struct ServerSpec {
    std::string host = "127.0.0.1";
    int port = 8080;
    int io_threads = 1;                          // one thread proxies ~10k req/s; more only add hand-offs on small machines
    std::size_t max_body_bytes = 8u << 20;
    std::chrono::seconds idle_timeout{60};       // keep-alive connections idle longer are closed
    std::chrono::seconds shutdown_grace{10};     // in-flight requests get this long on SIGTERM
    std::string api_key;                         // optional bearer token; empty = no auth
    std::vector<ApiKeySpec> api_keys;            // named keys; with any key configured, auth is required
    std::string admin_key;                       // admin_key_env's value: admin endpoints only ("" = none)
    RateLimitSpec rate_limit;                    // for every key without limits of its own
    std::vector<std::string> cors_origins;       // browser origins allowed cross-origin ("*" only when written)
    std::vector<std::string> allowed_hosts;      // Host names beyond loopback names and IP literals
    std::chrono::seconds header_timeout{10};     // a started request's headers must arrive within this (408)
    std::chrono::seconds body_timeout{30};       // and its body within this (408)
    bool expose_paths = false;                   // /v1/models shows absolute model paths
};

// Pipelines the server offers (pipeline/): their files, validated at start.
struct PipelinesSpec {
    std::vector<std::filesystem::path> files;    // absolute after loading
    std::filesystem::path cache_dir;             // node outputs on disk ("" = in memory only)
    int parallel = 2;                            // nodes of one run at once
    // What pipeline runs may touch (pipeline/confinement.h). Over HTTP, file inputs must lie under
    // roots (none configured: no file input is readable); the CLI adds its working folder.
    std::vector<std::filesystem::path> roots;    // absolute after loading
    std::vector<std::string> http_hosts;         // hosts the http node may call ("*.example.com" ok)
    bool http_allow_private = false;             // http node may reach loopback/private/link-local addresses
};

// Where the request log, feedback, tier bumps and per-key spend live (store/store.h).
struct StoreSpec {
    enum class Kind { sqlite, postgres };
    Kind kind = Kind::sqlite;                    // sqlite: the file at log.path
    std::string url;                             // postgres: libpq URI or "key=value ..." (url or url_env)
    int pool_size = 4;                           // connections for reads; the writer holds one more
    int max_queue = 100000;                      // writes held while the database is away; beyond, the oldest are dropped and counted
    int sync_interval_ms = 500;                  // how often a replica learns the others' spend and bumps
    int pool_timeout_ms = 5000;                  // a read waits this long for a free connection
    bool enabled() const { return kind == Kind::postgres; }  // sqlite is on only with log.path
};

struct Config {
    std::filesystem::path source;                // the file it came from ("" for defaults)
    ServerSpec server;
    std::filesystem::path models_dir;
    std::uint64_t memory_budget_bytes = 4ull << 30;
    std::vector<ModelSpec> models;
    std::vector<RemoteProviderSpec> providers;
    std::vector<RouteSpec> routes;
    std::filesystem::path log_path;              // SQLite request log ("" = none)
    bool log_content = false;                    // also store prompt and answer text
    StoreSpec store;                             // store.kind: postgres shares the log between replicas
    PipelinesSpec pipelines;
    std::filesystem::path specialists_path;      // overlay of promoted specialists (config/specialists.h; "" = none)
    SessionSpec sessions;                        // conversations keep their tier (router/session_store.h)
    CacheSpec cache;                             // exact-match response cache (router/response_cache.h)
    McpSpec mcp;                                 // routes offered as MCP tools (api/mcp_routes.cpp)

    // Finds a model by name or alias; nullptr if none.
    const ModelSpec* find_model(const std::string& name_or_alias) const;
    const RouteSpec* find_route(const std::string& name) const;
    const RemoteProviderSpec* find_provider(const std::string& name) const;
};

// Reads and validates a config file; throws ConfigError.
Config load_config(const std::filesystem::path& file);
// Same, from text (relative paths resolve against base_dir). Used by tests.
Config parse_config(const std::string& yaml_text, const std::filesystem::path& base_dir,
                    const std::string& source_name = "<string>");

// "300s", "5m", "1h", "-1" (forever) or a bare number of seconds.
std::chrono::seconds parse_duration(const std::string& text);
// "4GiB", "512MiB", "4G", "1000000" bytes.
std::uint64_t parse_bytes(const std::string& text);

}  // namespace switchyard
