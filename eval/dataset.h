// Evaluation datasets: one JSONL line per test case (a prompt or chat messages, its task class,
// and a reference with the checker that grades an answer against it). See eval/README.md.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::eval {

using json = nlohmann::json;

struct DatasetError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// How an answer is graded. `answer` is what the checker compares with: a string (exact,
// normalized), a pattern (regex), a number (numeric), an object of expected fields
// (json_fields), a list of strings (contains_all), or an optional reference (judge).
struct Reference {
    std::string checker;
    json answer;
    double tolerance = 0;         // numeric: absolute tolerance
    std::string pick = "first";   // numeric: which number in the answer counts (first, last, any)
    std::string judge_model;      // judge: model or route that grades
    std::string rubric;           // judge: what a good answer must do
};

struct EvalCase {
    std::string id;
    std::string task_class;
    json messages = json::array();  // OpenAI chat messages
    json request = json::object();  // extra request fields (max_tokens, response_format, ...)
    Reference reference;
};

// The checkers a dataset may name.
const std::vector<std::string>& checker_names();

// Parses one dataset line; `where` prefixes error messages (file:line).
EvalCase parse_case(const json& line, const std::string& where);
json case_to_json(const EvalCase& c);
// Reads a whole file; throws DatasetError naming the file and line. Ids must be unique.
std::vector<EvalCase> read_dataset(const std::filesystem::path& file);
void write_dataset(const std::filesystem::path& file, const std::vector<EvalCase>& cases);

// The user-visible text of a case, for overlap checks and reports.
std::string prompt_text(const EvalCase& c);

}  // namespace switchyard::eval
