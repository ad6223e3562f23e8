// Mustache-like substitution used by template, llm and http nodes: {{name}} inserts an input,
// {{name.field}} / {{name.0}} walk into JSON values. No sections or escaping: prompts are plain
// text, and anything richer belongs in a node of its own.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace switchyard::pipeline {

// The root names a template uses ("a" for {{a.b}}), in order of first use, without duplicates.
// Throws NodeError on an unterminated or empty {{ }}.
std::vector<std::string> template_variables(const std::string& text);

// Throws NodeError naming the variable when it is missing or a field path does not exist.
// Strings are inserted as they are, lists of strings one per line, other values as compact JSON.
std::string render_template(const std::string& text, const std::map<std::string, nlohmann::json>& vars);

}  // namespace switchyard::pipeline
