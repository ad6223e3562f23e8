#include "api/server.h"

#include "providers/local_provider.h"
#include "providers/remote_factory.h"
#include "api/access_policy.h"
#include "api/event_bus.h"
#include "api/pipeline_host.h"
#include "router/router.h"
#include "store/open_store.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>

namespace switchyard::api {

AccessLog::AccessLog(std::ostream* out) : out_(out) {
    if (out_) writer_ = std::thread([this] { writer_loop(); });
}

AccessLog::~AccessLog() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
}

void AccessLog::write(const nlohmann::json& line) {
    if (!out_) return;
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    bool wake;
    {
        std::lock_guard lock(mu_);
        pending_ += text;
        pending_ += '\n';
        ++queued_;
        // Only an idle writer is woken (once per batch, not per line).
        wake = idle_;
        idle_ = false;
    }
    if (wake) cv_.notify_one();
}

void AccessLog::flush() {
    if (!out_) return;
    std::unique_lock lock(mu_);
    const auto target = queued_;
    flush_wanted_ = true;
    cv_.notify_one();
    flushed_cv_.wait(lock, [&] { return written_ >= target; });
}

void AccessLog::writer_loop() {
    std::unique_lock lock(mu_);
    std::string batch;
    for (;;) {
        if (pending_.empty() && !stopping_ && !flush_wanted_) {
            idle_ = true;
            cv_.wait(lock, [&] { return stopping_ || flush_wanted_ || !pending_.empty(); });
            idle_ = false;
            // The first line after a quiet spell: let the lines of the next moment join it.
            cv_.wait_for(lock, kWindow, [&] { return stopping_ || flush_wanted_; });
        }
        flush_wanted_ = false;
        batch.swap(pending_);
        const auto target = queued_;
        lock.unlock();
        if (!batch.empty()) {
            out_->write(batch.data(), static_cast<std::streamsize>(batch.size()));
            out_->flush();
            batch.clear();
        }
        lock.lock();
        written_ = target;
        flushed_cv_.notify_all();
        if (stopping_ && pending_.empty()) return;
    }
}

std::string random_id(const std::string& prefix) {
    // 11 hex digits of the time in milliseconds, then 13 random ones (52 bits): ids made close in
    // time sort close together, so the request log's primary-key index grows at its right edge
    // instead of dirtying a random page per row (random ids cost ~3x the log writer's CPU per
    // row, bench/RESULTS.md). The 24-digit shape is unchanged.
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    std::string id;
    id.reserve(prefix.size() + 24);
    id = prefix;
    for (int i = 10; i >= 0; --i) id += hex[(ms >> (4 * i)) & 0xF];
    std::uint64_t r = rng();
    for (int i = 0; i < 13; ++i, r >>= 4) id += hex[r & 0xF];
    return id;
}

RequestRecord::RequestRecord(ServerContext& c, std::string r, const Request& req, Exchange& ex)
    : ctx(c), route(std::move(r)), id(random_id(route == "/v1/chat/completions" ? "chatcmpl-" : route == "/v1/completions" ? "cmpl-"
                                               : route == "/v1/responses" ? "resp_" : route == "/v1/messages" ? "msg_" : "req-")), exchange(ex) {
    fields["method"] = std::string(req.method_string());
    // Keys are never stored; a short hash tells callers apart in the log.
    std::string_view presented = presented_key(req);
    key = find_key(ctx, req);
    rate_caller = caller_name(ctx, req);
    if (key) {
        api_key_fingerprint = key->name;
    } else if (!presented.empty()) {
        std::size_t h = std::hash<std::string>{}("Bearer " + std::string(presented));
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016zx", h);
        api_key_fingerprint = std::string("key-") + std::string(buf).substr(0, 8);
    }
    exchange.before_last_bytes([this](int sent) {
        if (!status) status = sent;
        record_log_entry();
    });
}

RequestRecord::~RequestRecord() {
    // Every request that reached a handler is logged and counted, whatever happened to it.
    double latency = elapsed();
    int st = status ? status : 500;
    ctx.metrics.request_done(route, st, latency);
    fields["ts"] = static_cast<long long>(std::time(nullptr));
    fields["id"] = id;
    fields["route"] = route;
    fields["status"] = st;
    fields["latency_ms"] = static_cast<long long>(latency * 1000);
    if (ttft_s >= 0) fields["ttft_ms"] = static_cast<long long>(ttft_s * 1000);
    ctx.log.write(fields);
    if (ctx.limiter) {
        const long long tokens = fields.value("prompt_tokens", 0LL) + fields.value("completion_tokens", 0LL);
        ctx.limiter->add_tokens(rate_caller, tokens, std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count());
    }
    // The live feed's summary is built only while a dashboard is watching.
    if (ctx.events && ctx.events->subscribers() > 0)
        if (auto event = feed_event(*this, st, latency); !event.is_null()) ctx.events->publish(event);
    exchange.before_last_bytes(nullptr);   // the exchange outlives this record
    record_log_entry();
}

void RequestRecord::record_log_entry() {
    if (logged || !ctx.request_log) return;
    logged = true;
    const double latency = elapsed();
    const int st = status ? status : 500;
    RequestLogEntry e;
    e.id = id;
    e.ts = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    e.api_key = api_key_fingerprint;
    e.endpoint = route;
    e.model_requested = fields.value("model_requested", fields.value("model", ""));
    e.model = fields.value("model", "");
    e.status = st;
    e.prompt_tokens = fields.value("prompt_tokens", 0);
    e.completion_tokens = fields.value("completion_tokens", 0);
    e.cached_tokens = fields.value("cached_tokens", 0);
    e.latency_ms = latency * 1000;
    e.ttft_ms = ttft_s >= 0 ? ttft_s * 1000 : -1;
    e.finish_reason = fields.value("finish_reason", "");
    e.error = fields.value("error", "");
    e.route = fields.value("route_name", "");
    e.trace = fields.contains("trace") ? fields["trace"].dump() : "[]";
    e.models_tried = fields.contains("models_tried") ? fields["models_tried"].dump() : nlohmann::json::array({e.model}).dump();
    e.escalations = fields.value("escalations", 0);
    e.cost = fields.value("cost", 0.0);
    e.task_class = fields.value("task_class", "");
    e.tier = fields.value("tier", "");
    if (ctx.log_content) { e.prompt = prompt; e.answer = answer; }
    ctx.request_log->record(std::move(e));
}

asio::awaitable<void> send_error(Exchange& ex, RequestRecord& rec, const ApiError& err) {
    rec.status = err.status;
    rec.fields["error"] = err.message;
    std::map<std::string, std::string> headers{{"x-request-id", rec.id}};
    if (err.retry_after > 0) headers["Retry-After"] = std::to_string(err.retry_after);
    co_await respond_json(ex, err.status, err.body().dump(), headers);
}

std::string_view presented_key(const Request& req) {
    if (auto it = req.find(http::field::authorization); it != req.end()) {
        std::string_view v = it->value();
        return v.substr(0, 7) == "Bearer " ? v.substr(7) : std::string_view();
    }
    // Anthropic clients send the key as x-api-key.
    if (auto it = req.find("x-api-key"); it != req.end()) return it->value();
    return {};
}

namespace {

std::string_view bearer_token(const Request& req) { return presented_key(req); }

bool is_admin_key(const ServerContext& ctx, std::string_view token) {
    return !ctx.admin_key.empty() && !token.empty() && constant_time_equals(token, ctx.admin_key);
}

bool auth_configured(const ServerContext& ctx) { return !ctx.api_key.empty() || !ctx.api_keys.empty(); }

}  // namespace

const ApiKeySpec* find_key(const ServerContext& ctx, const Request& req) {
    if (ctx.api_keys.empty()) return nullptr;
    std::string_view token = bearer_token(req);
    if (token.empty()) return nullptr;
    // Every key is compared (no early exit), so timing does not tell which one nearly matched.
    const ApiKeySpec* found = nullptr;
    for (const auto& k : ctx.api_keys)
        if (constant_time_equals(token, k.key) && !found) found = &k;
    return found;
}

std::string caller_name(const ServerContext& ctx, const Request& req) {
    if (const auto* k = find_key(ctx, req)) return "key:" + k->name;
    std::string_view token = bearer_token(req);
    if (is_admin_key(ctx, token)) return "admin";
    if (!ctx.api_key.empty() && constant_time_equals(token, ctx.api_key)) return "api_key";
    return "anonymous";
}

std::optional<ApiError> check_auth(const ServerContext& ctx, const Request& req) {
    // Every accepted request is logged: while the log cannot be written (disk full), refuse.
    if (ctx.request_log && ctx.request_log->failing())
        return ApiError::make(503, "server_error", "request_log_unavailable",
                              "The request log cannot be written (disk full or I/O error); requests are refused until it can. Retry later.",
                              "", 5);
    std::string_view token = bearer_token(req);
    const ApiKeySpec* named = find_key(ctx, req);
    if (auth_configured(ctx)) {
        const bool ok = named || is_admin_key(ctx, token) || (!ctx.api_key.empty() && constant_time_equals(token, ctx.api_key));
        if (!ok) return ApiError::make(401, "invalid_request_error", "invalid_api_key", "Incorrect or missing API key (send 'Authorization: Bearer <key>')");
    }
    if (!ctx.limiter) return std::nullopt;
    RateLimiter::Limits limits{ctx.rate_limit.requests_per_minute, ctx.rate_limit.tokens_per_minute};
    if (named && named->requests_per_minute >= 0) limits.requests_per_minute = named->requests_per_minute;
    if (named && named->tokens_per_minute >= 0) limits.tokens_per_minute = named->tokens_per_minute;
    const std::string caller = caller_name(ctx, req);
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    if (int wait = ctx.limiter->admit(caller, limits, now))
        return ApiError::make(429, "rate_limit_error", "rate_limit_exceeded",
                              "Rate limit reached for " + (named ? "key '" + named->name + "'" : std::string("this caller")) + " (" +
                                  std::to_string(limits.requests_per_minute) + " requests, " + std::to_string(limits.tokens_per_minute) +
                                  " tokens per minute; 0 = unlimited); retry in " + std::to_string(wait) + " s",
                              "", wait);
    return std::nullopt;
}

std::optional<ApiError> check_admin(const ServerContext& ctx, const Request& req) {
    if (!auth_configured(ctx) && ctx.admin_key.empty()) return std::nullopt;   // no keys at all: a local, single-user server
    std::string_view token = bearer_token(req);
    const ApiKeySpec* named = find_key(ctx, req);
    if (is_admin_key(ctx, token) || (named && named->admin)) return std::nullopt;
    if (named || (!ctx.api_key.empty() && constant_time_equals(token, ctx.api_key)))
        return ApiError::make(403, "permission_error", "admin_required",
                              "This endpoint needs an admin key: server.admin_key_env, or a server.api_keys entry with role: admin");
    return ApiError::make(401, "invalid_request_error", "invalid_api_key", "Incorrect or missing admin API key (send 'Authorization: Bearer <key>')");
}

Server::Server(Config config, std::ostream* access_log)
    : config_(std::move(config)),
      pool_(config_),
      blocking_(4),
      log_(access_log),
      http_(HttpServerOptions{config_.server.host, config_.server.port, config_.server.io_threads,
                              config_.server.max_body_bytes, config_.server.idle_timeout, config_.server.header_timeout,
                              config_.server.body_timeout, AccessPolicy{config_.server.cors_origins, config_.server.allowed_hosts}}),
      signals_(http_.io(), SIGINT, SIGTERM) {
    ctx_ = std::unique_ptr<ServerContext>(new ServerContext{pool_, metrics_, blocking_, log_, config_.server.api_key, config_.server.api_keys});
    ctx_->admin_key = config_.server.admin_key;
    ctx_->rate_limit = config_.server.rate_limit;
    ctx_->limiter = &limiter_;
    ctx_->expose_paths = config_.server.expose_paths;
    request_log_ = open_store(config_);
    if (request_log_) {
        ctx_->request_log = request_log_.get();
        ctx_->log_content = config_.log_content;
    }
    responses_ = std::make_unique<ResponseStore>(config_.log_path);   // beside the request log, else in memory
    ctx_->responses = responses_.get();
    {   // Always: every chat and text completion goes through the router (model names are one-tier routes).
        auto local = std::make_unique<providers::LocalProvider>(pool_, blocking_);
        router_ = std::make_unique<router::Router>(config_, std::move(local), providers::remote_provider_factory(http_.io().get_executor()), &pool_, &blocking_);
        ctx_->router = router_.get();
        if (request_log_) restore_router_state();
        if (request_log_ && request_log_->shared()) start_store_sync();
    }
    {   // Routes offered as MCP tools (mcp.routes: true = every configured route).
        std::vector<std::string> names = config_.mcp.routes;
        if (config_.mcp.all_routes)
            for (const auto& r : config_.routes) names.push_back(r.name);
        for (const auto& name : names) {
            std::string tiers;
            if (const RouteSpec* r = config_.find_route(name))
                for (const auto& t : r->tiers) tiers += (tiers.empty() ? "" : ", ") + (t.name.empty() ? t.model : t.name);
            ctx_->mcp_routes.emplace_back(name, tiers);
        }
    }
    if (!config_.pipelines.files.empty()) {
        pipelines_ = std::make_unique<PipelineHost>(config_, pool_, router_.get(), http_.io().get_executor());
        ctx_->pipelines = pipelines_.get();
    }
    register_basic_routes(http_, *ctx_);
    register_route_routes(http_, *ctx_);
    register_feedback_routes(http_, *ctx_);
    register_pipeline_routes(http_, *ctx_);
    register_admin_routes(http_, *ctx_);
    register_openai_routes(http_, *ctx_);
    register_responses_routes(http_, *ctx_);
    register_messages_routes(http_, *ctx_);
    register_mcp_routes(http_, *ctx_);
    ctx_->events = &events_;
    register_ui_routes(http_, *ctx_);
}

// Spend so far in each key's period, and the bumps feedback made, survive a restart.
void Server::restore_router_state() {
    double now = static_cast<double>(std::time(nullptr));
    if (request_log_->shared()) {
        router_->ledger().share(request_log_.get());
        router_->ledger().sync(config_.server.api_keys, now);
    } else {
        for (const auto& k : config_.server.api_keys) {
            double start = router::SpendLedger::period_start(k.period, now);
            router_->ledger().seed(k.name, start, request_log_->spend_since(k.name, start));
        }
    }
    for (const auto& b : active_bumps()) router_->bumps().restore(b);
}

std::vector<router::TierBump> Server::active_bumps() {
    std::vector<router::TierBump> out;
    for (const auto& b : request_log_->bumps(true)) {
        const auto* policy = router_->policy(b.route);
        if (!policy) continue;
        std::size_t to = policy->tier_index(b.to_tier);
        if (policy->route().tiers[to].name != b.to_tier) continue;  // the tier left the config
        out.push_back(router::TierBump{b.route, b.task_class, b.from_tier, b.to_tier, to, b.down_rate, b.ratings, b.ts});
    }
    return out;
}

// With a shared store, other replicas' spend and bumps (and bump resets) reach this one every
// store.sync_interval_ms. A failed sync keeps the last view and says so once per outage.
void Server::start_store_sync() {
    store_sync_ = std::thread([this] {
        bool failing = false;
        std::unique_lock lock(sync_mu_);
        while (!sync_cv_.wait_for(lock, std::chrono::milliseconds(config_.store.sync_interval_ms), [this] { return sync_stop_; })) {
            lock.unlock();
            try {
                router_->ledger().sync(config_.server.api_keys, static_cast<double>(std::time(nullptr)));
                router_->bumps().replace_all(active_bumps());
                if (failing) std::cerr << "switchyard: store sync works again\n";
                failing = false;
            } catch (const std::exception& e) {
                if (!failing) std::cerr << "switchyard: store sync failed (spend limits and bumps use the last view): " << e.what() << "\n";
                failing = true;
            }
            lock.lock();
        }
    });
}

void Server::stop_store_sync() {
    {
        std::lock_guard lock(sync_mu_);
        sync_stop_ = true;
    }
    sync_cv_.notify_all();
    if (store_sync_.joinable()) store_sync_.join();
}

Server::~Server() {
    pipelines_.reset();  // cancels runs and waits: they may be waiting on the io threads
    http_.stop();
    pool_.shutdown();
    blocking_.join();
    // Providers own timers and pooled sockets of http_'s io_context, which is destroyed before
    // router_ (member order): they must go while it still exists.
    stop_store_sync();
    ctx_->router = nullptr;
    router_.reset();
}

int Server::listen() { return http_.listen(); }

void Server::shutdown() {
    asio::post(http_.io(), [this] { begin_drain(); });
}

void Server::begin_drain() {
    if (drain_started_.exchange(true)) {
        http_.stop();  // second signal: stop now
        return;
    }
    std::cerr << "switchyard: shutting down, " << http_.in_flight() << " request(s) in flight\n";
    ctx_->draining = true;
    events_.close_all();  // live feeds end now instead of holding the drain open
    http_.stop_accepting();
    auto deadline = std::chrono::steady_clock::now() + config_.server.shutdown_grace;
    auto timer = std::make_shared<asio::steady_timer>(http_.io());
    auto cut = std::make_shared<bool>(false);
    // Poll until nothing is in flight; past the grace period, end remaining generations so their
    // streams close cleanly with an error event instead of being dropped.
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, timer, deadline, cut, tick] {
        if (http_.in_flight() == 0) { http_.stop(); return; }
        if (!*cut && std::chrono::steady_clock::now() >= deadline) {
            *cut = true;
            std::thread([this] { pool_.shutdown(); }).detach();
        }
        timer->expires_after(std::chrono::milliseconds(50));
        timer->async_wait([tick](const boost::system::error_code&) { (*tick)(); });
    };
    (*tick)();
}

void Server::run() {
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec) return;
        begin_drain();
        signals_.async_wait([this](const boost::system::error_code& ec2, int) { if (!ec2) http_.stop(); });
    });
    http_.run();
    pool_.shutdown();
}

}  // namespace switchyard::api
