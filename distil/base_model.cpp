#include "distil/base_model.h"

#include <gguf.h>

#include <memory>
#include <set>
#include <stdexcept>

namespace switchyard::distil {

const char* trainable_architectures() { return "llama, mistral, qwen2, qwen3, gemma2, gemma3, phi3, stablelm, starcoder2"; }

BaseModelInfo check_trainable(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    if (!std::filesystem::is_regular_file(file)) throw std::runtime_error("base model " + name + ": no such file");
    gguf_init_params params{true, nullptr};
    std::unique_ptr<gguf_context, decltype(&gguf_free)> ctx(gguf_init_from_file(file.c_str(), params), gguf_free);
    if (!ctx) throw std::runtime_error("base model " + name + " cannot be trained: it is not a readable GGUF file");
    auto text = [&](const char* key) -> std::string {
        const int64_t id = gguf_find_key(ctx.get(), key);
        return id >= 0 && gguf_get_kv_type(ctx.get(), id) == GGUF_TYPE_STRING ? gguf_get_val_str(ctx.get(), id) : "";
    };
    BaseModelInfo info;
    info.architecture = text("general.architecture");
    info.name = text("general.name");
    info.has_chat_template = gguf_find_key(ctx.get(), "tokenizer.chat_template") >= 0;
    static const std::set<std::string> ok = {"llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3", "phi3", "stablelm", "starcoder2"};
    if (!ok.count(info.architecture))
        throw std::runtime_error("base model " + name + " cannot be trained: architecture '" + info.architecture +
                                 "' is not a chat model the trainer can load (trainable: " + trainable_architectures() + ")");
    if (!info.has_chat_template)
        throw std::runtime_error("base model " + name + " cannot be trained: it has no chat template (distil trains chat models)");
    return info;
}

}  // namespace switchyard::distil
