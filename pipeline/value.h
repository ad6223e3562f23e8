// The types that flow along pipeline wires, and the values themselves.
// Every value is a nlohmann::json so that caching (canonical JSON), HTTP results and progress
// events need no conversion layer; the ValueType is the static contract checked before a run.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace switchyard::pipeline {

using json = nlohmann::json;

enum class ValueKind {
    any,        // only for ports that accept everything (template variables, switch payloads)
    text,       // JSON string
    json,       // any JSON value
    list,       // JSON array; `element` says what is inside
    embedding,  // JSON array of numbers
    image,      // {"path": file} or {"base64": bytes, "mime": "image/png"}
    document,   // {"source": path, "pages": [{"page": n, "text": s}], "text": all pages}
};

struct ValueType {
    ValueKind kind = ValueKind::any;
    ValueKind element = ValueKind::any;   // lists only; nested lists are not needed by any node

    static ValueType of(ValueKind k) { return {k, ValueKind::any}; }
    static ValueType list_of(ValueKind e) { return {ValueKind::list, e}; }
    bool operator==(const ValueType&) const = default;
};

// "text", "json", "list", "list<text>", ... ; nullopt when the name is not a type.
std::optional<ValueType> parse_value_type(const std::string& name);
std::string to_string(ValueType t);
std::string to_string(ValueKind k);
// The names accepted by parse_value_type, for error messages.
std::string known_value_type_names();

// Can a wire carrying `from` feed a port declared `to`? json ports take any value (all values
// are JSON), `any` matches both ways, lists match when their elements do.
bool assignable(ValueType from, ValueType to);

// Runtime check of a concrete value (pipeline inputs, node outputs). Returns "" when it fits,
// otherwise what is wrong ("expected text, got a number").
std::string check_value(const json& value, ValueType type);

}  // namespace switchyard::pipeline
