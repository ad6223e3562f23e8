// The data side of `switchyard distil`: labelled examples of one task class, gathered from the
// request log (the large tier's accepted answers, users' corrections) and from datasets whose
// prompts the large tier answered; de-duplicated by prompt and split into train / held-out by a
// hash of the prompt, so a prompt never changes sides as the data grows, and nothing the model
// is trained on is ever scored.
#pragma once

#include "eval/dataset.h"
#include "store/request_log.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace switchyard::distil {

using json = nlohmann::json;

struct Example {
    std::string id, task_class;
    std::string source;                 // teacher | reference | log | correction
    json messages = json::array();      // the chat before the answer
    json request = json::object();      // extra request fields for evaluation (response_format, max_tokens)
    std::string answer;                 // the label ("" = none: held-out only)
    eval::Reference reference;          // how an answer to it is graded
};

struct TrainingSet {
    std::vector<Example> train, heldout;
    int duplicates = 0;                         // examples dropped because their prompt was seen
    std::map<std::string, int> train_sources;   // source -> count in train
};

// Lower-cased, whitespace-collapsed text of the messages: what "the same prompt" means.
std::string prompt_key(const json& messages);
// Whether a prompt goes to the held-out split: a stable hash of its key, below `fraction`.
bool is_heldout(const std::string& key, double fraction);
// De-duplicates (a correction beats a large-tier answer for the same prompt; otherwise the
// first wins) and splits. Examples without a label go to held-out only if their prompt does.
TrainingSet split(const std::vector<Example>& examples, double heldout_fraction);

// How a label without a checked reference is graded: the fields of a JSON object label
// (json_fields), else the normalised text.
eval::Reference reference_for_label(const std::string& answer);

// One line of the trainer's input: {"messages": [...], "answer": "..."}.
json train_line(const Example& e);
// A held-out example as an eval case (prompt, request fields, reference).
eval::EvalCase heldout_case(const Example& e);

struct LogHarvest {
    std::vector<Example> examples;
    int accepted = 0;          // the large tier's answers, not down-rated
    int corrections = 0;       // down-rated answers that came with a correction
    int down_rated = 0;        // down-rated without a correction: not used
    int without_content = 0;   // the log did not keep the prompt (log.content: false)
    std::set<std::string> classes;  // every task class the log has
};
// Requests of `task_class` that answered with status 200: those answered by one of
// `teacher_models` and not down-rated, and every corrected one whatever answered it.
LogHarvest harvest_log(RequestLog& log, const std::string& task_class, const std::set<std::string>& teacher_models);

}  // namespace switchyard::distil
