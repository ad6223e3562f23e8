// Tiny random-weight GGUF models made by llama.cpp's own test-llama-archs (5 MB, loads in
// milliseconds): real loading, batching and eviction without the cost of real weights.
#pragma once

#include "config/config.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace switchyard::testing {

inline std::filesystem::path tiny_model_path() {
    static std::filesystem::path path = [] {
        std::filesystem::path dir = SWITCHYARD_TEST_MODEL_DIR;
        auto file = dir / "llama-dense.gguf";
        if (!std::filesystem::exists(file)) {
            std::filesystem::create_directories(dir);
            std::string cmd = std::string(SWITCHYARD_LLAMA_BUILD) + "/bin/test-llama-archs -a llama -s 42 -o " + dir.string() + "/ > /dev/null 2>&1";
            if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(file))
                throw std::runtime_error("could not create the tiny test model with: " + cmd);
        }
        return file;
    }();
    return path;
}

inline ModelSpec tiny_spec(const std::string& name, int parallel = 2, int ctx = 256) {
    ModelSpec m;
    m.name = name;
    m.file = tiny_model_path();
    m.context_size = ctx;
    m.parallel = parallel;
    m.threads = 1;
    m.queue_limit = 8;
    return m;
}

}  // namespace switchyard::testing
