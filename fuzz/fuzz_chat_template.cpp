// Fuzzes the chat template path: a chat request body, parsed as the server parses it
// (wire/request_parsing), rendered through a real model's Jinja chat template by the engine's own
// ChatFormatter::prepare_chat (llama.cpp's common/chat.cpp and common/jinja/, compiled here with
// the sanitizers), then tokenized. The first byte picks the template: the chat template embedded
// in each GGUF under models/ (loaded vocab-only, no weights) and templates/gemma3.jinja as the
// config's chat_template override. Contract: a bad request throws ApiError (4xx) or EngineError
// of kind invalid_request (the server's 400); any other exception, crash, leak, UB or hang is a
// finding. SWITCHYARD_FUZZ_MODELS overrides the models folder.
#include "engine/chat_format.h"
#include "engine/engine_error.h"
#include "wire/request_parsing.h"

#include <llama.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace switchyard;
using namespace switchyard::wire;

namespace {

std::vector<llama_model*>& models() {
    static auto* m = new std::vector<llama_model*>;
    return *m;
}

std::vector<std::unique_ptr<ChatFormatter>> load_formatters() {
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    llama_backend_init();
    const char* env = std::getenv("SWITCHYARD_FUZZ_MODELS");
    const std::filesystem::path dir = env && *env ? env : SWITCHYARD_SOURCE_DIR "/models";
    std::ifstream in(SWITCHYARD_SOURCE_DIR "/templates/gemma3.jinja");
    std::stringstream gemma;
    gemma << in.rdbuf();
    std::vector<std::unique_ptr<ChatFormatter>> out;
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".gguf") files.push_back(e.path());
    std::sort(files.begin(), files.end());   // the first byte picks the same template on every machine
    for (const auto& f : files) {
        auto params = llama_model_default_params();
        params.vocab_only = true;
        llama_model* model = llama_model_load_from_file(f.c_str(), params);
        if (!model) continue;
        const bool embedded = llama_model_chat_template(model, nullptr) != nullptr;
        const bool override = f.filename().string().find("gemma") != std::string::npos && !gemma.str().empty();
        if (!embedded && !override) {   // no chat template: an embedding model
            llama_model_free(model);
            continue;
        }
        models().push_back(model);   // kept (and reachable) for the process
        if (embedded) {
            out.push_back(std::make_unique<ChatFormatter>(model, ""));
            std::fprintf(stderr, "fuzz_chat_template: template %zu: %s (its own)\n", out.size() - 1, f.filename().c_str());
        }
        if (override) {   // as the config's chat_template: templates/gemma3.jinja
            out.push_back(std::make_unique<ChatFormatter>(model, gemma.str()));
            std::fprintf(stderr, "fuzz_chat_template: template %zu: %s with templates/gemma3.jinja\n", out.size() - 1, f.filename().c_str());
        }
    }
    if (out.empty()) {
        std::fprintf(stderr, "fuzz_chat_template: no chat model under %s (scripts/setup.sh downloads them)\n", dir.c_str());
        std::abort();
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Never destroyed: the models stay reachable for LeakSanitizer's check at exit.
    static const auto& formatters = *new std::vector<std::unique_ptr<ChatFormatter>>(load_formatters());
    if (size < 1) return 0;
    const ChatFormatter& formatter = *formatters[data[0] % formatters.size()];
    const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    ChatRequest req;
    try {
        req = parse_chat_request(parse_body(body), SamplingDefaults{});
    } catch (const ApiError& e) {
        if (e.status < 400 || e.status > 499) std::abort();
        return 0;
    }
    try {
        PreparedPrompt p = formatter.prepare_chat(req.input);
        if (p.tokens.empty()) std::abort();   // a rendered chat always has tokens
    } catch (const EngineError& e) {
        if (e.kind != EngineErrorKind::invalid_request || std::string(e.what()).empty()) std::abort();
    }
    return 0;
}
