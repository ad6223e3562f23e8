// `eval from-log`: turns feedback into test cases. Every down-rated answer that came with a
// correction becomes a case whose reference is the correction (the request log must have
// stored the prompt: log.content: true).
#pragma once

#include "eval/dataset.h"
#include "store/store.h"

#include <string>
#include <vector>

namespace switchyard::eval {

struct FromLogOptions {
    std::string checker = "normalized";  // normalized, contains_all (the correction's words), or judge
    std::string judge_model;             // for judge
};

// `skipped` counts corrections whose prompt was not logged.
std::vector<EvalCase> cases_from_log(Store& log, const FromLogOptions& options, int& skipped);

}  // namespace switchyard::eval
