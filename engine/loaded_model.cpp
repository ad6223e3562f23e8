#include "engine/loaded_model.h"

#include "engine/chat_format.h"
#include "engine/cpu_threads.h"
#include "engine/engine_error.h"
#include "engine/scheduler.h"

#include <llama.h>
#include <log.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <type_traits>

namespace switchyard {

void init_llama_backend() {
    static std::once_flag once;
    std::call_once(once, [] {
        const char* v = std::getenv("SWITCHYARD_LLAMA_LOG");
        static bool verbose = v && std::string(v) == "1";
        // llama.cpp logs every tensor at load; keep stderr for our own messages unless asked.
        llama_log_set([](ggml_log_level level, const char* text, void*) {
            if (verbose || level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
        }, nullptr);
        llama_backend_init();
        if (!verbose) common_log_pause(common_log_main());  // common/ logs parser and sampler chatter
    });
}

namespace {

EngineError unavailable(const ModelSpec& spec, const std::string& why) {
    return EngineError(EngineErrorKind::model_unavailable,
                       "model '" + spec.name + "' cannot be loaded from " + (spec.file_as_written.empty() ? spec.file.string() : spec.file_as_written) + ": " + why);
}

// KV cache bytes for the whole context (f16 K and V for every layer), for the memory budget.
std::uint64_t estimate_kv_bytes(const llama_model* m, std::uint32_t n_ctx) {
    std::uint64_t n_layer = llama_model_n_layer(m), n_head = std::max(1, llama_model_n_head(m));
    std::uint64_t n_head_kv = std::max(1, llama_model_n_head_kv(m)), n_embd = llama_model_n_embd(m);
    return 2ull * n_layer * n_ctx * n_head_kv * (n_embd / n_head) * 2ull;
}

}  // namespace

std::shared_ptr<LoadedModel> LoadedModel::load(const ModelSpec& spec) {
    init_llama_backend();
    auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    if (!std::filesystem::exists(spec.file, ec)) throw unavailable(spec, "file not found");
    {
        std::ifstream f(spec.file, std::ios::binary);
        char magic[4] = {};
        if (!f.read(magic, 4)) throw unavailable(spec, "file is unreadable or empty");
        if (std::string(magic, 4) != "GGUF") throw unavailable(spec, "not a GGUF file (bad magic)");
    }
    std::shared_ptr<LoadedModel> lm(new LoadedModel(spec));
    auto mp = llama_model_default_params();
    mp.n_gpu_layers = spec.gpu_layers;
    lm->model_ = llama_model_load_from_file(spec.file.string().c_str(), mp);
    if (!lm->model_) throw unavailable(spec, "llama.cpp rejected the file (corrupt or unsupported architecture)");

    const bool embedding = spec.kind == ModelKind::embedding;
    auto cp = llama_context_default_params();
    // Default (engine/cpu_threads.h): one thread for a small model, every core for a larger one;
    // each step then uses as many of them as are free at that moment.
    int threads = spec.threads > 0 ? spec.threads
                : embedding     ? default_embedding_threads()
                                : default_model_threads(llama_model_size(lm->model_));
    cp.n_threads = threads;
    lm->threads_ = lm->embed_threads_ = threads;
    cp.n_threads_batch = threads;
    cp.n_seq_max = spec.parallel;
    cp.n_ctx = static_cast<std::uint32_t>(spec.context_size) * spec.parallel;
    cp.n_batch = std::max(spec.batch_size, spec.parallel);
    cp.n_ubatch = cp.n_batch;
    cp.kv_unified = false;  // each sequence gets exactly context_size tokens
    cp.swa_full = true;     // sliding-window models (Gemma 3) keep full KV so prefixes can be reused
    cp.no_perf = true;
    // At most one sequence position per slot needs logits in any decode step; the default
    // (n_batch outputs) would reserve n_batch x n_vocab floats: 512 MiB for Gemma's 262k vocab.
    // Speculative decoding asks for logits at the last token and at every draft token.
    const int outputs_per_seq = spec.speculative.ngram > 0 ? 1 + spec.speculative.max_draft : 1;
    cp.n_outputs_max = static_cast<std::uint32_t>(spec.parallel * outputs_per_seq);
    if (embedding) {
        cp.n_outputs_max = 0;
        cp.embeddings = true;
        cp.n_ctx = static_cast<std::uint32_t>(spec.context_size);
        cp.n_batch = cp.n_ubatch = cp.n_ctx;  // encoder models need the whole input in one ubatch
        cp.kv_unified = true;
    }
    lm->ctx_ = llama_init_from_model(lm->model_, cp);
    if (!lm->ctx_) throw unavailable(spec, "could not create a context (out of memory for context_size x parallel?)");
    if (embedding && llama_pooling_type(lm->ctx_) == LLAMA_POOLING_TYPE_NONE)
        throw unavailable(spec, "kind is 'embedding' but the model has no pooling (not a sentence-embedding model)");

    // Weights + KV cache + output buffers + a compute-graph allowance (activations per batch token).
    std::uint64_t n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(lm->model_));
    std::uint64_t outputs = embedding ? cp.n_batch : cp.n_outputs_max;
    lm->memory_bytes_ = llama_model_size(lm->model_) + estimate_kv_bytes(lm->model_, llama_n_ctx(lm->ctx_)) +
                        2 * n_vocab * outputs * sizeof(float) * (embedding ? 0 : 1) +
                        std::uint64_t(cp.n_batch) * llama_model_n_embd(lm->model_) * sizeof(float) * 32;
    if (!embedding) {
        std::string tmpl;
        if (!spec.chat_template.empty()) {
            std::ifstream t(spec.chat_template);
            if (!t) throw unavailable(spec, "chat_template file " + spec.chat_template.string() + " cannot be read");
            tmpl.assign(std::istreambuf_iterator<char>(t), std::istreambuf_iterator<char>());
        } else if (!llama_model_chat_template(lm->model_, nullptr)) {
            std::fprintf(stderr, "switchyard: warning: model '%s' has no chat template in its GGUF and none is configured; "
                                 "falling back to ChatML, which it may not understand (set chat_template)\n", spec.name.c_str());
        }
        try {
            lm->formatter_ = std::make_unique<ChatFormatter>(lm->model_, tmpl);
        } catch (const std::exception& e) {
            throw unavailable(spec, std::string("invalid chat template: ") + e.what());
        }
        lm->scheduler_ = std::make_unique<Scheduler>(lm->model_, lm->ctx_, spec);
    }
    lm->load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return lm;
}

LoadedModel::LoadedModel(const ModelSpec& spec) : spec_(spec) {}

LoadedModel::~LoadedModel() {
    stop();
    scheduler_.reset();
    if (ctx_) llama_free(ctx_);
    if (model_) llama_model_free(model_);
}

void LoadedModel::stop() {
    if (scheduler_) scheduler_->stop();
}

int LoadedModel::context_per_sequence() const {
    return scheduler_ ? scheduler_->context_per_sequence() : static_cast<int>(llama_n_ctx(ctx_));
}
int LoadedModel::active() const { return scheduler_ ? scheduler_->active() : 0; }
int LoadedModel::queued() const { return scheduler_ ? scheduler_->queued() : 0; }

static void require_chat(const ModelSpec& spec) {
    if (spec.kind != ModelKind::chat)
        throw EngineError(EngineErrorKind::wrong_model_kind, "model '" + spec.name + "' is an embedding model; it cannot generate text", "model");
}

std::shared_ptr<GenerationHandle> LoadedModel::generate_chat(const ChatInput& in, const SamplingParams& p, EventSink sink) {
    require_chat(spec_);
    GenerationJob job;
    job.prompt = formatter_->prepare_chat(in);
    job.sampling = p;
    job.chat = true;
    job.sink = std::move(sink);
    return scheduler_->submit(std::move(job));
}

int LoadedModel::count_chat_tokens(const ChatInput& in) {
    require_chat(spec_);
    return static_cast<int>(formatter_->prepare_chat(in).tokens.size());
}

std::shared_ptr<GenerationHandle> LoadedModel::generate_text(const std::string& prompt, const std::string& json_schema,
                                                             const SamplingParams& p, EventSink sink) {
    require_chat(spec_);
    GenerationJob job;
    job.prompt = formatter_->prepare_completion(prompt, json_schema);
    job.sampling = p;
    job.sink = std::move(sink);
    return scheduler_->submit(std::move(job));
}

std::vector<std::vector<float>> LoadedModel::embed(const std::vector<std::string>& inputs, int& prompt_tokens) {
    if (spec_.kind != ModelKind::embedding)
        throw EngineError(EngineErrorKind::wrong_model_kind, "model '" + spec_.name + "' is a chat model; use an embedding model for /v1/embeddings", "model");
    const llama_vocab* vocab = llama_model_get_vocab(model_);
    const int n_ctx = static_cast<int>(llama_n_ctx(ctx_));
    static_assert(std::is_same_v<llama_token, std::int32_t>);
    std::vector<std::vector<llama_token>> tokenized;
    prompt_tokens = 0;
    if (inputs.empty()) return {};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        tokenized.push_back(common_tokenize(vocab, inputs[i], true, false));
        int n = static_cast<int>(tokenized.back().size());
        if (n > n_ctx)
            throw EngineError(EngineErrorKind::context_overflow,
                              "input[" + std::to_string(i) + "] has " + std::to_string(n) + " tokens; model '" + spec_.name +
                                  "' accepts at most " + std::to_string(n_ctx) + " tokens per input", "input");
        if (n == 0) throw EngineError(EngineErrorKind::invalid_request, "input[" + std::to_string(i) + "] is empty", "input");
        prompt_tokens += n;
    }
    // Concurrent calls are combined (router decisions arriving together): the first caller to
    // find the context free runs every call queued by then in shared batches, and each caller
    // gets its own vectors back as soon as its inputs are done. A batch of several short inputs
    // costs less per token than the same inputs one by one (a 10-token input is ~350 us/token,
    // a 250-token batch ~210 us/token on one core, bench/RESULTS.md), and no caller waits for a
    // whole other call to finish before its own starts. Results are the single-call ones up to
    // the last bit of a float (different matrix blocking).
    EmbedCall call;
    call.tokens = &tokenized;
    call.out.resize(inputs.size());
    std::unique_lock lock(combine_mu_);
    embed_queue_.push_back(&call);
    combine_cv_.wait(lock, [&] { return call.done || !combining_; });
    if (!call.done) {
        combining_ = true;
        while (!call.done) {
            std::vector<EmbedCall*> calls;
            calls.swap(embed_queue_);
            lock.unlock();
            run_embed_calls(calls);   // marks each call done (under combine_mu_) as it completes
            lock.lock();
        }
        combining_ = false;
        combine_cv_.notify_all();   // a call queued meanwhile runs the next combination
    }
    if (call.error) std::rethrow_exception(call.error);
    return std::move(call.out);
}

void LoadedModel::run_embed_calls(const std::vector<EmbedCall*>& calls) {
    std::lock_guard ctx_lock(embed_mu_);
    const int n_ctx = static_cast<int>(llama_n_ctx(ctx_));
    const int n_embd = llama_model_n_embd_out(model_) > 0 ? llama_model_n_embd_out(model_) : llama_model_n_embd(model_);
    // Every input of every call, in order, as (call, index in the call).
    std::vector<std::pair<EmbedCall*, std::size_t>> items;
    for (auto* c : calls)
        for (std::size_t k = 0; k < c->tokens->size(); ++k) items.emplace_back(c, k);
    // Every thread the model may use while the cores are free, only the free ones when other work
    // runs (engine/cpu_threads.h: a member preempted by outside work stalls the whole team).
    const int threads = std::min(threads_, idle_cores());
    if (threads != embed_threads_) {
        llama_set_n_threads(ctx_, threads, threads);
        embed_threads_ = threads;
    }
    auto finish = [&](EmbedCall* c, std::exception_ptr error) {
        std::lock_guard lock(combine_mu_);
        if (c->done) return;
        c->error = error;
        c->done = true;
        combine_cv_.notify_all();
    };
    llama_batch batch = llama_batch_init(n_ctx, 0, 1);
    const int n_seq = std::max(1, spec_.parallel);
    std::size_t i = 0;
    try {
        while (i < items.size()) {
            // Pack as many whole inputs as fit in one batch, one sequence each.
            common_batch_clear(batch);
            std::size_t first = i;
            while (i < items.size() && static_cast<int>(i - first) < n_seq &&
                   batch.n_tokens + static_cast<int>((*items[i].first->tokens)[items[i].second].size()) <= n_ctx) {
                const auto& toks = (*items[i].first->tokens)[items[i].second];
                for (std::size_t t = 0; t < toks.size(); ++t)
                    common_batch_add(batch, toks[t], static_cast<llama_pos>(t), {static_cast<llama_seq_id>(i - first)}, true);
                ++i;
            }
            llama_memory_clear(llama_get_memory(ctx_), true);
            int rc = llama_model_has_encoder(model_) && !llama_model_has_decoder(model_) ? llama_encode(ctx_, batch) : llama_decode(ctx_, batch);
            if (rc != 0) throw EngineError(EngineErrorKind::internal, "embedding failed: llama.cpp returned " + std::to_string(rc));
            for (std::size_t k = first; k < i; ++k) {
                const float* e = llama_get_embeddings_seq(ctx_, static_cast<llama_seq_id>(k - first));
                if (!e) throw EngineError(EngineErrorKind::internal, "embedding failed: no pooled output");
                double norm = 0;
                for (int d = 0; d < n_embd; ++d) norm += double(e[d]) * e[d];
                norm = norm > 0 ? std::sqrt(norm) : 1.0;
                auto& v = items[k].first->out[items[k].second];
                v.resize(n_embd);
                for (int d = 0; d < n_embd; ++d) v[d] = static_cast<float>(e[d] / norm);
                // The call's last input: its caller can go.
                if (items[k].second + 1 == items[k].first->tokens->size()) finish(items[k].first, nullptr);
            }
        }
    } catch (...) {
        // The batch that failed and everything after it: those calls get the error.
        for (std::size_t k = 0; k < items.size(); ++k) finish(items[k].first, std::current_exception());
    }
    llama_batch_free(batch);
}

}  // namespace switchyard
