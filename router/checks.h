// Cascade checks: is a cheap tier's answer good enough to return, or should the request
// escalate to the next tier? Each check is cheap and explains itself in the trace.
#pragma once

#include "config/routing_config.h"
#include "providers/provider.h"

#include <string>

namespace switchyard::router {

struct CheckResult {
    bool accept = true;
    std::string reason;            // why it escalates ("" when accepted)
    double mean_logprob = 0;
    double min_logprob = 0;
};

// wants_json: the request asked for json_object / json_schema output.
CheckResult check_answer(const CascadeSpec& spec, const providers::ProviderResult& r, bool wants_json);

// True for answers like "I'm sorry, but I can't help with that."
bool looks_like_refusal(const std::string& text);

}  // namespace switchyard::router
