#include "engine/scheduler.h"

#include "engine/cpu_threads.h"
#include "engine/engine_error.h"
#include "engine/ngram_draft.h"

#include <sampling.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace switchyard {

struct Scheduler::Slot {
    int seq = 0;
    std::unique_ptr<GenerationJob> job;
    std::vector<llama_token> cache;   // tokens whose KV is in this sequence, in order
    std::size_t prompt_pos = 0;       // next prompt token to evaluate
    bool generating = false;
    int batch_index = -1;             // index of this slot's logits in the current batch
    std::vector<llama_token> draft;   // speculative tokens after `last` in the current batch (logits at batch_index + 1 ...)
    llama_token last = LLAMA_TOKEN_NULL;
    int n_generated = 0;
    int n_cached = 0;
    int n_drafted = 0;
    int n_accepted = 0;
    std::shared_ptr<common_sampler> sampler;
    std::unique_ptr<ChatOutputParser> parser;
    std::string text;                 // everything generated so far (raw)
    std::size_t emitted = 0;          // bytes of text already sent to the sink
    std::vector<TokenLogprob> pending_logprobs;
    std::vector<std::string> stops;
    std::string stop_hit;             // the request's stop string that ended the answer (not the template's)
    bool busy() const { return job != nullptr; }
};

namespace {

std::size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
    std::size_t n = std::min(a.size(), b.size()), i = 0;
    while (i < n && a[i] == b[i]) ++i;
    return i;
}

// Bytes at the end of s that start a UTF-8 sequence not yet complete; they wait for the next token.
std::size_t incomplete_utf8_tail(const std::string& s) {
    for (std::size_t back = 1; back <= std::min<std::size_t>(4, s.size()); ++back) {
        unsigned char c = static_cast<unsigned char>(s[s.size() - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead byte
        std::size_t need = (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

// Waiting prompts share a step while it holds at most this many tokens. A CPU evaluates a prompt
// token more cheaply in a bigger batch (the weights are read once for all of them), and each extra
// step re-reads every weight; a step that is too big makes every stream wait for all the prompts in
// it. 256 is where both meet (bench/RESULTS.md, 8 Qwen streams: 32 gave first tokens 0.68x
// llama-server's but 0.87x its throughput; 512, as llama-server does, 1.00x throughput and 1.04x
// first tokens; 256, 1.01x and 0.83x).
constexpr std::size_t kPromptCoalesceTokens = 256;

// Steps with at least this many tokens use every thread the model may use (see step()).
constexpr int kLongStepTokens = 32;

// Grammars beyond this are refused before llama.cpp parses them: parsing and matching cost grows
// with their size, and a request should not be able to make the model thread spend minutes on one.
constexpr std::size_t kMaxGrammarBytes = 256 * 1024;

std::shared_ptr<common_sampler> build_sampler(llama_model* model, const GenerationJob& job) {
    common_params_sampling sp;
    const auto& p = job.sampling;
    sp.temp = p.temperature;
    sp.top_p = p.top_p;
    sp.top_k = p.top_k;
    sp.min_p = p.min_p;
    sp.penalty_present = p.presence_penalty;
    sp.penalty_freq = p.frequency_penalty;
    sp.penalty_repeat = p.repeat_penalty;
    sp.seed = p.seed ? *p.seed : LLAMA_DEFAULT_SEED;
    sp.grammar = job.prompt.grammar;
    sp.grammar_lazy = job.prompt.grammar_lazy;
    sp.grammar_triggers = job.prompt.grammar_triggers;
    sp.preserved_tokens = job.prompt.preserved_tokens;
    sp.generation_prompt = job.prompt.generation_prompt;
    sp.no_perf = true;
    const std::string field = job.prompt.parse_tool_calls ? "tools" : "response_format";
    if (common_grammar_value(sp.grammar).size() > kMaxGrammarBytes)
        throw EngineError(EngineErrorKind::invalid_request,
                          "the output constraint's grammar is " + std::to_string(common_grammar_value(sp.grammar).size()) +
                              " bytes, over the limit of " + std::to_string(kMaxGrammarBytes) + "; simplify the schema",
                          field);
    common_sampler* raw = nullptr;
    try {
        raw = common_sampler_init(model, sp);
    } catch (const std::exception& e) {
        throw EngineError(EngineErrorKind::invalid_request,
                          std::string("the output constraint (grammar) could not be built from the request: ") + e.what() +
                              " (repetition counts such as minItems/maxItems/minLength above 2000 are not supported)",
                          field);
    }
    if (!raw) throw EngineError(EngineErrorKind::invalid_request, "the output constraint (grammar) could not be built from the request", field);
    return std::shared_ptr<common_sampler>(raw, common_sampler_free);
}

}  // namespace

Scheduler::Scheduler(llama_model* model, llama_context* ctx, const ModelSpec& spec)
    : model_(model), ctx_(ctx), vocab_(llama_model_get_vocab(model)), spec_(spec) {
    n_ctx_seq_ = static_cast<int>(llama_n_ctx_seq(ctx_));
    n_batch_ = static_cast<int>(llama_n_batch(ctx_));
    max_threads_ = threads_now_ = std::max(1, llama_n_threads(ctx_));
    batch_ = llama_batch_init(n_batch_, 0, 1);
    for (int i = 0; i < spec_.parallel; ++i) {
        slots_.push_back(std::make_unique<Slot>());
        slots_.back()->seq = i;
    }
    thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
    stop();
    llama_batch_free(batch_);
}

std::shared_ptr<GenerationHandle> Scheduler::submit(GenerationJob job) {
    int n_prompt = static_cast<int>(job.prompt.tokens.size());
    if (n_prompt == 0) throw EngineError(EngineErrorKind::invalid_request, "the prompt is empty", "messages");
    if (n_prompt >= n_ctx_seq_) {
        throw EngineError(EngineErrorKind::context_overflow,
                          "This model's maximum context length is " + std::to_string(n_ctx_seq_) +
                              " tokens. However, your prompt has " + std::to_string(n_prompt) +
                              " tokens (at least one more is needed for the answer). Shorten the prompt.",
                          "messages");
    }
    if (job.sampling.max_tokens > n_ctx_seq_)
        throw EngineError(EngineErrorKind::invalid_request,
                          "max_tokens is " + std::to_string(job.sampling.max_tokens) + " but this model's context holds " +
                              std::to_string(n_ctx_seq_) + " tokens (prompt and answer together)",
                          "max_tokens");
    if (!job.sampler) job.sampler = build_sampler(model_, job);
    auto handle = job.handle;
    {
        std::lock_guard lock(mu_);
        if (stopping_) throw EngineError(EngineErrorKind::overloaded, "the model is being unloaded; retry");
        int free_slots = spec_.parallel - active_;
        if (static_cast<int>(queue_.size()) >= free_slots + spec_.queue_limit) {
            throw EngineError(EngineErrorKind::queue_full,
                              "model '" + spec_.name + "' is at capacity (" + std::to_string(spec_.parallel) +
                                  " running, " + std::to_string(spec_.queue_limit) + " queued); retry later");
        }
        queue_.push_back(std::make_unique<GenerationJob>(std::move(job)));
    }
    cv_.notify_one();
    return handle;
}

int Scheduler::active() const { return active_.load(); }
int Scheduler::queued() const { std::lock_guard lock(mu_); return static_cast<int>(queue_.size()); }

void Scheduler::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

// Moves queued jobs into idle slots, preferring the slot whose cached tokens share the longest prefix.
void Scheduler::admit_locked() {
    while (!queue_.empty()) {
        auto& job = queue_.front();
        if (job->handle->cancelled()) {
            GenerationEvent ev;
            ev.type = GenerationEvent::Type::done;
            ev.finish_reason = "cancelled";
            job->sink(std::move(ev));
            queue_.pop_front();
            continue;
        }
        Slot* best = nullptr;
        std::size_t best_len = 0;
        for (auto& s : slots_) {
            if (s->busy()) continue;
            std::size_t len = common_prefix(s->cache, job->prompt.tokens);
            if (!best || len > best_len) { best = s.get(); best_len = len; }
        }
        if (!best) return;
        Slot& s = *best;
        // The last prompt token is always evaluated again: its logits start the answer.
        // A request with a seed reuses no cached prefix: evaluating the prompt in one piece, as
        // the first time, gives the same logits bit for bit, so the same seed gives the same answer
        // (a prefix evaluated earlier in other batches differs in the last bits; README#determinism).
        std::size_t keep = job->sampling.seed ? 0 : std::min(best_len, job->prompt.tokens.size() - 1);
        llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, static_cast<llama_pos>(keep), -1);
        s.cache.resize(keep);
        s.prompt_pos = keep;
        s.n_cached = static_cast<int>(keep);
        s.generating = false;
        s.n_generated = 0;
        s.n_drafted = s.n_accepted = 0;
        s.text.clear();
        s.emitted = 0;
        s.pending_logprobs.clear();
        s.stops = job->sampling.stop;
        s.stops.insert(s.stops.end(), job->prompt.extra_stops.begin(), job->prompt.extra_stops.end());
        s.stops.erase(std::remove(s.stops.begin(), s.stops.end(), std::string()), s.stops.end());

        s.sampler = job->sampler ? std::move(job->sampler) : nullptr;
        s.job = std::move(job);
        queue_.pop_front();
        ++active_;
        if (!s.sampler) { fail(s, "the output constraint (grammar) could not be built from the request"); continue; }
        s.parser = s.job->chat ? std::make_unique<ChatOutputParser>(s.job->prompt.chat_parser, s.job->prompt.parse_tool_calls, s.job->prompt.generic_tools) : nullptr;
    }
}

void Scheduler::run() {
    llama_memory_clear(llama_get_memory(ctx_), true);
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || active_ > 0; });
            if (stopping_) break;
            admit_locked();
        }
        // Nothing thrown on this thread may end the process (std::terminate): a failure here
        // fails the sequences in flight, whose requests get an error, and the model keeps serving.
        try {
            step();
        } catch (const std::exception& e) {
            fail_all_busy(std::string("generation failed: ") + e.what());
        }
    }
    // Shutting down: nothing more will be generated for anyone.
    std::lock_guard lock(mu_);
    for (auto& s : slots_) if (s->busy()) finish(*s, "cancelled");
    for (auto& job : queue_) {
        GenerationEvent ev;
        ev.type = GenerationEvent::Type::error;
        ev.error = "the model was unloaded before this request started";
        job->sink(std::move(ev));
    }
    queue_.clear();
}

bool Scheduler::step() {
    common_batch_clear(batch_);
    for (auto& sp : slots_) {
        Slot& s = *sp;
        s.batch_index = -1;
        s.draft.clear();   // also one left by a decode or a verification that failed
        if (!s.busy()) continue;
        if (s.job->handle->cancelled()) { finish(s, "cancelled"); continue; }
        if (s.generating) {
            if (batch_.n_tokens >= n_batch_) continue;
            s.batch_index = batch_.n_tokens;
            common_batch_add(batch_, s.last, static_cast<llama_pos>(s.cache.size()), {s.seq}, true);
            s.cache.push_back(s.last);
            if (!drafts(s)) continue;
            // Never draft past the batch, the sequence's context or the request's max_tokens: the
            // token sampled after the accepted drafts must still fit.
            int room = std::min({spec_.speculative.max_draft, n_batch_ - batch_.n_tokens,
                                 n_ctx_seq_ - static_cast<int>(s.cache.size()) - 2, s.job->sampling.max_tokens - s.n_generated - 1});
            if (room <= 0) continue;
            s.draft = ngram_draft(s.cache, spec_.speculative.ngram, room);
            for (llama_token t : s.draft) {
                common_batch_add(batch_, t, static_cast<llama_pos>(s.cache.size()), {s.seq}, true);
                s.cache.push_back(t);
            }
        }
    }
    // Prompt chunks fill the room the generating slots left, shortest remaining prompt first, and
    // another prompt joins only while the batch stays within kPromptCoalesceTokens. On a CPU a
    // step's time grows with its tokens, so one step holding every waiting prompt makes each
    // stream's first token wait for all of them; a step per prompt gives first tokens in turn but
    // re-reads the weights per prompt. Generating slots advance with every step meanwhile.
    std::vector<Slot*> prompting;
    for (auto& sp : slots_)
        if (sp->busy() && !sp->generating) prompting.push_back(sp.get());
    auto remaining = [](const Slot* s) { return s->job->prompt.tokens.size() - s->prompt_pos; };
    std::stable_sort(prompting.begin(), prompting.end(), [&](const Slot* a, const Slot* b) { return remaining(a) < remaining(b); });
    // A GPU evaluates a bigger batch in about the same time, so there prompts keep filling it.
    const std::size_t coalesce = spec_.gpu_layers > 0 ? static_cast<std::size_t>(n_batch_) : kPromptCoalesceTokens;
    for (std::size_t i = 0; i < prompting.size(); ++i) {
        Slot& s = *prompting[i];
        if (i > 0 && batch_.n_tokens + remaining(&s) > coalesce) break;
        const auto& prompt = s.job->prompt.tokens;
        while (s.prompt_pos < prompt.size() && batch_.n_tokens < n_batch_) {
            bool last = s.prompt_pos + 1 == prompt.size();
            if (last) s.batch_index = batch_.n_tokens;
            common_batch_add(batch_, prompt[s.prompt_pos], static_cast<llama_pos>(s.prompt_pos), {s.seq}, last);
            s.cache.push_back(prompt[s.prompt_pos]);
            ++s.prompt_pos;
        }
    }
    if (batch_.n_tokens == 0) return false;

    // A step of a few tokens (decoding) has ops of microseconds, and a team member preempted by
    // outside work stalls all the others at every op's barrier: the team is sized to the cores
    // free now (engine/cpu_threads.h). A prompt step's ops are long enough that a slowed member
    // only costs its share (Qwen, 584-token prompt beside a busy loop: 7.0 s on 2 threads, 8.0 s
    // on 1; idle 4.2 vs 7.7), so it always gets every thread.
    if (max_threads_ > 1) {
        const int threads = batch_.n_tokens >= kLongStepTokens ? max_threads_ : std::min(max_threads_, idle_cores());
        if (threads != threads_now_) {
            llama_set_n_threads(ctx_, threads, threads);
            threads_now_ = threads;
        }
    }
    int rc = llama_decode(ctx_, batch_);
    if (rc != 0) {
        for (auto& sp : slots_) {
            Slot& s = *sp;
            if (!s.busy()) continue;
            llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, -1, -1);
            s.cache.clear();
            fail(s, "llama_decode failed with code " + std::to_string(rc));
        }
        return true;
    }
    for (auto& sp : slots_) {
        Slot& s = *sp;
        if (!s.busy() || s.batch_index < 0) continue;
        try {
            if (s.draft.empty()) {
                sample_slot(s, s.batch_index);
            } else {
                // Verify: sample at `last` and at each draft token in turn, stopping at the first
                // token the model would not have chosen. Every accepted token is exactly what one
                // step at a time would have produced, so a greedy answer does not change.
                std::vector<int> idxs(s.draft.size() + 1);
                std::iota(idxs.begin(), idxs.end(), s.batch_index);
                auto ids = common_sampler_sample_and_accept_n(s.sampler.get(), ctx_, idxs, s.draft);
                // The KV cache holds `last` and every draft token; keep only the accepted ones.
                // The final sampled token, like any sampled token, is decoded next step.
                const std::size_t rejected = s.draft.size() - (ids.size() - 1);
                s.n_drafted += static_cast<int>(s.draft.size());
                s.n_accepted += static_cast<int>(ids.size() - 1);
                s.cache.resize(s.cache.size() - rejected);
                if (rejected) llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, static_cast<llama_pos>(s.cache.size()), -1);
                s.draft.clear();
                for (std::size_t j = 0; j < ids.size(); ++j)
                    if (!take_token(s, ids[j], idxs[j])) break;
            }
        } catch (const std::exception& e) {
            // llama.cpp's grammar throws once a constrained answer is complete and the model
            // offers no end-of-generation token: the answer is whole, so that is a normal stop.
            if (!s.job->prompt.grammar.empty() && std::string(e.what()).find("empty grammar stack") != std::string::npos) finish(s, "stop");
            else fail(s, std::string("sampling failed: ") + e.what());
        }
    }
    return true;
}

bool Scheduler::drafts(const Slot& s) const {
    // Greedy only: at temperature 0 verification keeps the answer identical. Grammar-constrained
    // answers (JSON schemas, tool calls) keep the one-token path, whose grammar handling is proven.
    return spec_.speculative.ngram > 0 && s.job->sampling.temperature <= 0 && s.job->prompt.grammar.empty();
}

void Scheduler::sample_slot(Slot& s, int idx) {
    s.generating = true;
    llama_token tok = common_sampler_sample(s.sampler.get(), ctx_, idx);
    common_sampler_accept(s.sampler.get(), tok, true);
    take_token(s, tok, idx);
}

bool Scheduler::take_token(Slot& s, llama_token tok, int idx) {
    auto& job = *s.job;
    s.last = tok;
    ++s.n_generated;

    if (llama_vocab_is_eog(vocab_, tok)) { finish(s, "stop"); return false; }

    std::string piece = common_token_to_piece(vocab_, tok, false);
    if (job.sampling.top_logprobs >= 0) {
        // Log-probabilities of the model's own distribution (before sampling filters), as OpenAI reports them.
        const float* logits = llama_get_logits_ith(ctx_, idx);
        int n_vocab = llama_vocab_n_tokens(vocab_);
        float mx = *std::max_element(logits, logits + n_vocab);
        double sum = 0;
        for (int i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
        float lse = mx + static_cast<float>(std::log(sum));
        TokenLogprob lp{piece, logits[tok] - lse, {}};
        int n_top = std::min(job.sampling.top_logprobs, n_vocab);
        if (n_top > 0) {
            std::vector<int> ids(n_vocab);
            std::iota(ids.begin(), ids.end(), 0);
            std::partial_sort(ids.begin(), ids.begin() + n_top, ids.end(), [&](int a, int b) { return logits[a] > logits[b]; });
            for (int i = 0; i < n_top; ++i) lp.top.push_back({common_token_to_piece(vocab_, ids[i], false), logits[ids[i]] - lse});
        }
        s.pending_logprobs.push_back(std::move(lp));
    }
    s.text += piece;

    // A stop string ends the answer before it; it may straddle tokens, so search the recent tail.
    std::size_t max_stop = 0;
    for (const auto& st : s.stops) max_stop = std::max(max_stop, st.size());
    if (max_stop) {
        std::size_t from = s.emitted > max_stop ? s.emitted - max_stop : 0;
        std::size_t hit = std::string::npos;
        for (const auto& st : s.stops) {
            std::size_t at = s.text.find(st, from);
            if (at >= hit) continue;
            hit = at;
            const auto& own = job.sampling.stop;
            s.stop_hit = std::find(own.begin(), own.end(), st) != own.end() ? st : "";
        }
        if (hit != std::string::npos) {
            s.text.resize(std::max(hit, s.emitted));
            finish(s, "stop");
            return false;
        }
    }
    if (s.n_generated >= job.sampling.max_tokens || static_cast<int>(s.cache.size()) + 1 >= n_ctx_seq_) {
        finish(s, "length");
        return false;
    }
    emit_text(s, false);
    return true;
}

void Scheduler::emit_text(Slot& s, bool final) {
    std::size_t end = s.text.size();
    if (!final) {
        // Hold back a tail that could still become a stop string, and any half of a UTF-8 character.
        for (const auto& st : s.stops) {
            for (std::size_t k = std::min(st.size() - 1, end - s.emitted); k > 0; --k) {
                if (s.text.compare(end - k, k, st, 0, k) == 0) { end = std::min(end, s.text.size() - k); break; }
            }
        }
        end -= incomplete_utf8_tail(s.text.substr(s.emitted, end - s.emitted));
    }
    if (end <= s.emitted && s.pending_logprobs.empty()) return;
    GenerationEvent ev;
    ev.text = s.text.substr(s.emitted, end > s.emitted ? end - s.emitted : 0);
    s.emitted = std::max(s.emitted, end);
    ev.logprobs = std::move(s.pending_logprobs);
    s.pending_logprobs.clear();
    if (s.parser) ev.chat_deltas = s.parser->feed(ev.text);
    if (ev.text.empty() && ev.chat_deltas.empty() && ev.logprobs.empty()) return;
    s.job->sink(std::move(ev));
}

void Scheduler::fail_all_busy(const std::string& error) {
    for (auto& sp : slots_) {
        Slot& s = *sp;
        if (!s.busy()) continue;
        llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, -1, -1);
        s.cache.clear();
        try {
            fail(s, error);   // releases the slot before calling the sink
        } catch (const std::exception&) {
        }
    }
}

void Scheduler::finish(Slot& s, const std::string& reason) {
    if (reason != "cancelled") emit_text(s, true);
    GenerationEvent ev;
    ev.type = GenerationEvent::Type::done;
    ev.finish_reason = reason;
    if (reason == "stop") ev.stop_sequence = s.stop_hit;
    s.stop_hit.clear();
    ev.usage.prompt_tokens = static_cast<int>(s.job->prompt.tokens.size());
    ev.usage.completion_tokens = s.n_generated;
    ev.usage.cached_prompt_tokens = s.n_cached;
    ev.usage.draft_tokens = s.n_drafted;
    ev.usage.accepted_draft_tokens = s.n_accepted;
    if (s.parser) {
        auto tail = s.parser->finish(ev.full_text, ev.tool_calls);
        if (!tail.empty() && reason != "cancelled") {
            GenerationEvent last;
            last.chat_deltas = std::move(tail);
            s.job->sink(std::move(last));
        }
        if (!ev.tool_calls.empty() && reason == "stop") ev.finish_reason = "tool_calls";
    } else {
        ev.full_text = s.text.substr(0, s.emitted);
    }
    auto job = std::move(s.job);
    s.sampler.reset();
    s.parser.reset();
    // The sampled-but-not-decoded last token is not in the KV cache; only decoded tokens stay cached.
    --active_;
    job->sink(std::move(ev));
}

void Scheduler::fail(Slot& s, const std::string& error) {
    GenerationEvent ev;
    ev.type = GenerationEvent::Type::error;
    ev.error = error;
    auto job = std::move(s.job);
    s.sampler.reset();
    s.parser.reset();
    --active_;
    job->sink(std::move(ev));
}

}  // namespace switchyard
