#include "pipeline/value.h"

namespace switchyard::pipeline {

namespace {
constexpr ValueKind kNamedKinds[] = {ValueKind::text, ValueKind::json, ValueKind::list, ValueKind::embedding,
                                      ValueKind::image, ValueKind::document, ValueKind::any};

std::optional<ValueKind> kind_named(const std::string& name) {
    for (auto k : kNamedKinds)
        if (to_string(k) == name) return k;
    return std::nullopt;
}

std::string json_kind_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::string: return "a string";
        case json::value_t::array: return "a list";
        case json::value_t::object: return "an object";
        default: return "a number";
    }
}

bool kinds_assignable(ValueKind from, ValueKind to) {
    return from == to || to == ValueKind::any || from == ValueKind::any || to == ValueKind::json;
}
}  // namespace

std::string to_string(ValueKind k) {
    switch (k) {
        case ValueKind::any: return "any";
        case ValueKind::text: return "text";
        case ValueKind::json: return "json";
        case ValueKind::list: return "list";
        case ValueKind::embedding: return "embedding";
        case ValueKind::image: return "image";
        case ValueKind::document: return "document";
    }
    return "?";
}

std::string to_string(ValueType t) {
    if (t.kind == ValueKind::list && t.element != ValueKind::any) return "list<" + to_string(t.element) + ">";
    return to_string(t.kind);
}

std::string known_value_type_names() {
    return "text, json, list, list<T>, embedding, image, document, any";
}

std::optional<ValueType> parse_value_type(const std::string& name) {
    const std::string prefix = "list<";
    if (name.size() > prefix.size() + 1 && name.compare(0, prefix.size(), prefix) == 0 && name.back() == '>') {
        auto element = kind_named(name.substr(prefix.size(), name.size() - prefix.size() - 1));
        if (!element || *element == ValueKind::list) return std::nullopt;
        return ValueType::list_of(*element);
    }
    auto kind = kind_named(name);
    if (!kind) return std::nullopt;
    return ValueType::of(*kind);
}

bool assignable(ValueType from, ValueType to) {
    if (!kinds_assignable(from.kind, to.kind)) return false;
    if (from.kind == ValueKind::list && to.kind == ValueKind::list) return kinds_assignable(from.element, to.element);
    return true;
}

std::string check_value(const json& value, ValueType type) {
    auto expected = [&](const std::string& what) { return "expected " + what + ", got " + json_kind_name(value); };
    switch (type.kind) {
        case ValueKind::any:
        case ValueKind::json:
            return "";
        case ValueKind::text:
            return value.is_string() ? "" : expected("text");
        case ValueKind::embedding:
            if (!value.is_array()) return expected("an embedding (list of numbers)");
            for (const auto& x : value)
                if (!x.is_number()) return "expected an embedding (list of numbers), found " + json_kind_name(x);
            return "";
        case ValueKind::image:
            if (!value.is_object() || !(value.contains("path") || value.contains("base64")))
                return "expected an image ({\"path\": ...} or {\"base64\": ...}), got " + json_kind_name(value);
            return "";
        case ValueKind::document:
            if (!value.is_object() || !value.contains("text"))
                return "expected a document (object with \"text\"), got " + json_kind_name(value);
            return "";
        case ValueKind::list:
            if (!value.is_array()) return expected(to_string(type));
            for (std::size_t i = 0; i < value.size(); ++i) {
                auto problem = check_value(value[i], ValueType::of(type.element));
                if (!problem.empty()) return "element " + std::to_string(i) + ": " + problem;
            }
            return "";
    }
    return "";
}

}  // namespace switchyard::pipeline
