// Grading an answer against a case's reference. Every checker but `judge` is a pure function
// of (answer, reference), so scores can be recomputed from cached answers when a checker changes.
// The judge asks a model: the runner sends judge_request() and reads the reply with parse_verdict().
#pragma once

#include "eval/dataset.h"

#include <optional>
#include <string>

namespace switchyard::eval {

struct CheckResult {
    double score = 0;     // 0..1 (json_fields gives partial credit; the others are 0 or 1)
    std::string detail;   // why, for the per-case report
};

// Lower case, trimmed, inner whitespace collapsed, surrounding quotes and final punctuation dropped.
std::string normalize(const std::string& text);
// Numbers in a text ("1,234.5", "-3", "2.5e3"), in order.
std::vector<double> numbers_in(const std::string& text);
// The JSON object or array an answer contains: the whole text, else its first {...} / [...] span.
std::optional<json> json_in(const std::string& text);

// Throws std::logic_error for `judge` (it needs a model: see below).
CheckResult check(const Reference& ref, const std::string& answer);

// The chat request that asks the judge model to grade `answer` (model = ref.judge_model).
json judge_request(const EvalCase& c, const std::string& answer);
// A judge's reply: "PASS"/"FAIL" or "score: N" (1-5) anywhere; nullopt when unreadable.
std::optional<double> parse_verdict(const std::string& reply);

}  // namespace switchyard::eval
