// Route rules match prompts with RE2: linear-time matching (no catastrophic backtracking on
// long prompts) and far faster than std::regex with icase, which matters at every request.
#pragma once

#include <re2/re2.h>

namespace switchyard {

// Case-insensitive; errors are reported by config validation, not logged by RE2.
inline RE2::Options rule_regex_options() {
    RE2::Options o;
    o.set_case_sensitive(false);
    o.set_log_errors(false);
    return o;
}

}  // namespace switchyard
