// Fuzzes the server config loader (YAML -> Config, including providers and routes). Contract:
// a bad file only ever throws ConfigError, whose message names the place; nothing else escapes.
#include "config/config.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto cfg = switchyard::parse_config(text, "/nonexistent-fuzz-dir", "fuzz.yaml");
        (void)cfg.find_model("default");
    } catch (const switchyard::ConfigError& e) {
        if (std::string(e.what()).rfind("fuzz.yaml", 0) != 0) std::abort();  // every message names the file
    }
    return 0;
}
