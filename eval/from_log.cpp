#include "eval/from_log.h"

#include <stdexcept>

namespace switchyard::eval {

std::vector<EvalCase> cases_from_log(Store& log, const FromLogOptions& o, int& skipped) {
    if (o.checker != "normalized" && o.checker != "contains_all" && o.checker != "judge")
        throw std::invalid_argument("from-log checker must be normalized, contains_all or judge");
    if (o.checker == "judge" && o.judge_model.empty()) throw std::invalid_argument("the judge checker needs a judge model");
    std::vector<EvalCase> out;
    skipped = 0;
    for (const auto& [entry, fb] : log.corrections()) {
        if (entry.prompt.empty()) { ++skipped; continue; }
        EvalCase c;
        c.id = "log-" + entry.id;
        c.task_class = entry.task_class.empty() ? "default" : entry.task_class;
        // Chat requests log their messages as JSON; anything else is one user turn.
        json messages = json::parse(entry.prompt, nullptr, false);
        c.messages = messages.is_array() ? messages : json::array({{{"role", "user"}, {"content", entry.prompt}}});
        c.reference.checker = o.checker;
        if (o.checker == "contains_all") c.reference.answer = json::array({fb.correction});
        else c.reference.answer = fb.correction;
        if (o.checker == "judge") {
            c.reference.judge_model = o.judge_model;
            c.reference.rubric = "the answer says the same as the reference answer (a user's correction)";
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace switchyard::eval
