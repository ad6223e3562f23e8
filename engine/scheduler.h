// Continuous batching for one loaded chat model: N sequences share one llama_context; new requests
// join between decode steps, each sequence keeps its KV cache after it finishes so a follow-up turn
// that starts with the same tokens only evaluates what is new (prompt-prefix reuse).
#pragma once

#include "config/config.h"
#include "engine/chat_format.h"
#include "engine/generation.h"

#include <llama.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

struct common_sampler;

namespace switchyard {

struct GenerationJob {
    PreparedPrompt prompt;
    // Built by submit() on the caller's thread, so a grammar llama.cpp cannot parse fails that
    // request with a 400 instead of throwing on the model's thread (which would end the process).
    std::shared_ptr<common_sampler> sampler;
    SamplingParams sampling;
    bool chat = false;      // emit chat deltas (content / tool calls) instead of raw text
    EventSink sink;         // called on the scheduler thread: must not block
    std::shared_ptr<GenerationHandle> handle = std::make_shared<GenerationHandle>();
};

class Scheduler {
public:
    Scheduler(llama_model* model, llama_context* ctx, const ModelSpec& spec);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Queues a job. Throws EngineError: context_overflow (prompt too long), queue_full, overloaded (stopping).
    std::shared_ptr<GenerationHandle> submit(GenerationJob job);
    int context_per_sequence() const { return n_ctx_seq_; }
    int active() const;
    int queued() const;
    // Fails queued jobs, ends running ones, joins the thread. Idempotent.
    void stop();

private:
    struct Slot;
    void run();
    void admit_locked();
    bool step();                       // one llama_decode over all busy slots; false if nothing to do
    void sample_slot(Slot& s, int batch_index);
    bool take_token(Slot& s, llama_token tok, int batch_index);  // false once the answer ended
    bool drafts(const Slot& s) const;  // speculative decoding applies to this request
    void emit_text(Slot& s, bool final);
    void finish(Slot& s, const std::string& reason);
    void fail(Slot& s, const std::string& error);
    void fail_all_busy(const std::string& error);

    llama_model* model_;
    llama_context* ctx_;
    int max_threads_ = 1;   // the context's configured threads: the most a step may use
    int threads_now_ = 1;   // what the context is set to now (scheduler thread only)
    const llama_vocab* vocab_;
    ModelSpec spec_;
    int n_ctx_seq_;
    int n_batch_;
    llama_batch batch_;
    std::vector<std::unique_ptr<Slot>> slots_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<GenerationJob>> queue_;
    std::atomic<int> active_{0};   // written by the scheduler thread, read by submit()
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace switchyard
