#include "wire/verdict_request.h"

namespace switchyard::wire {

nlohmann::json verdict_request(const VerdictQuestion& q) {
    using json = nlohmann::json;
    json schema = {{"type", "object"},
                   {"properties", {{"verdict", {{"type", "string"}, {"enum", {q.yes, q.no}}}}}},
                   {"required", {"verdict"}},
                   {"additionalProperties", false}};
    return {{"model", q.model},
            {"messages", json::array({{{"role", "user"}, {"content", q.prompt}}})},
            {"temperature", 0},
            {"max_tokens", q.max_tokens},
            {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "verdict"}, {"schema", schema}}}}}};
}

}  // namespace switchyard::wire
