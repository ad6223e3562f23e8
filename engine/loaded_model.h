// One model in memory: the llama.cpp model + context, and either a batching scheduler (chat
// models) or a serialized embedding path (embedding models). Created only fully loaded, so no
// caller ever sees a half-initialised model.
#pragma once

#include "config/config.h"
#include "engine/generation.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct llama_model;
struct llama_context;

namespace switchyard {

class ChatFormatter;
class Scheduler;

class LoadedModel {
public:
    // Throws EngineError(model_unavailable) with the path when the file is missing or not a valid GGUF.
    static std::shared_ptr<LoadedModel> load(const ModelSpec& spec);
    ~LoadedModel();

    const ModelSpec& spec() const { return spec_; }
    std::uint64_t memory_bytes() const { return memory_bytes_; }
    double load_seconds() const { return load_seconds_; }
    int context_per_sequence() const;
    int active() const;
    int queued() const;

    // Chat / text generation (chat models only). The sink runs on the scheduler thread.
    std::shared_ptr<GenerationHandle> generate_chat(const ChatInput& in, const SamplingParams& p, EventSink sink);
    std::shared_ptr<GenerationHandle> generate_text(const std::string& prompt, const std::string& json_schema,
                                                    const SamplingParams& p, EventSink sink);

    // Tokens the prompt of `in` takes under this model's chat template (Anthropic count_tokens).
    int count_chat_tokens(const ChatInput& in);

    // Embeddings (embedding models only): one L2-normalised vector per input. Blocking.
    std::vector<std::vector<float>> embed(const std::vector<std::string>& inputs, int& prompt_tokens);

    // Ends generation and frees the scheduler thread; the model is unusable afterwards.
    void stop();

private:
    explicit LoadedModel(const ModelSpec& spec);
    ModelSpec spec_;
    llama_model* model_ = nullptr;
    llama_context* ctx_ = nullptr;
    std::unique_ptr<ChatFormatter> formatter_;
    std::unique_ptr<Scheduler> scheduler_;
    // One embed() call waiting to be combined with others (embed() explains).
    struct EmbedCall {
        const std::vector<std::vector<std::int32_t>>* tokens = nullptr;   // llama_token ids, per input
        std::vector<std::vector<float>> out;
        std::exception_ptr error;
        bool done = false;             // combine_mu_
    };
    void run_embed_calls(const std::vector<EmbedCall*>& calls);
    std::mutex embed_mu_;              // the context, while embeddings run
    std::mutex combine_mu_;
    std::condition_variable combine_cv_;
    std::vector<EmbedCall*> embed_queue_;   // combine_mu_
    bool combining_ = false;           // a caller is running queued calls (combine_mu_)
    int threads_ = 1;                  // configured CPU threads
    int embed_threads_ = -1;           // what the context is set to now (embed_mu_)
    std::uint64_t memory_bytes_ = 0;
    double load_seconds_ = 0;
};

// Process-wide llama.cpp initialisation and log routing (quiet unless SWITCHYARD_LLAMA_LOG=1).
void init_llama_backend();

}  // namespace switchyard
