// Fuzzes the pipeline YAML loader (parse_pipeline: inputs, nodes, params, wires, outputs).
// Contract: a bad file only ever throws PipelineError listing the problems; nothing else escapes.
#include "pipeline/definition.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto def = switchyard::pipeline::parse_pipeline(text, "fuzz.yaml", "/nonexistent-fuzz-dir");
        for (const auto& n : def.nodes) (void)n.params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const switchyard::pipeline::PipelineError& e) {
        if (e.problems.empty()) std::abort();
    }
    return 0;
}
