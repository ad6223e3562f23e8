// Fuzzes the pipeline text templates ({{name}}, {{name.field}}, {{name.0}}). The input is a
// JSON object of variables, a NUL byte, then the template. Contract: only NodeError escapes, and
// every variable template_variables() reports is one render_template() looks up.
#include "pipeline/node_type.h"
#include "pipeline/text_template.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* p = reinterpret_cast<const char*>(data);
    const char* nul = static_cast<const char*>(std::memchr(p, 0, size));
    std::string vars_text = nul ? std::string(p, nul) : std::string();
    std::string text = nul ? std::string(nul + 1, p + size) : std::string(p, size);
    std::map<std::string, json> vars;
    json parsed = json::parse(vars_text, nullptr, false);
    if (parsed.is_object())
        for (auto& [k, v] : parsed.items()) vars[k] = v;
    try {
        auto names = switchyard::pipeline::template_variables(text);
        auto out = switchyard::pipeline::render_template(text, vars);
        for (const auto& n : names)
            if (!vars.count(n)) std::abort();  // rendering succeeded, so every root name exists
    } catch (const switchyard::pipeline::NodeError&) {
    }
    return 0;
}
