// Whether a GGUF can be the base of a distillation, checked natively before the (slow)
// training environment starts: it must be a GGUF, a chat model (it has a chat template), and of
// an architecture that the training step (transformers' GGUF loader) can dequantise.
#pragma once

#include <filesystem>
#include <string>

namespace switchyard::distil {

struct BaseModelInfo {
    std::string architecture;   // general.architecture
    std::string name;           // general.name, when present
    bool has_chat_template = false;
};

// Throws std::runtime_error with the reason the file cannot be trained.
BaseModelInfo check_trainable(const std::filesystem::path& gguf);

// The architectures distil/train.py can load (transformers 4.57's GGUF support, decoder-only).
const char* trainable_architectures();

}  // namespace switchyard::distil
