// Cascade verifier: a second model judges whether the cheap tier's answer actually answers the
// request. It is asked one yes/no question, with the verdict forced into
// {"verdict": "yes"|"no"} by a JSON schema (local models enforce it with a grammar; remote
// OpenAI-compatible ones with response_format), so the reply is always machine-readable.
#pragma once

#include "config/routing_config.h"
#include "providers/provider.h"

#include <optional>
#include <string>

namespace switchyard::router {

inline constexpr const char* kDefaultVerifierQuestion =
    "Does the proposed answer correctly and completely answer the request? Reply yes or no.";

// The chat request sent to the verifier model: the conversation as a transcript, the
// candidate answer, and the question. `model` is the verifier's model name for its provider.
nlohmann::json verifier_request(const nlohmann::json& request, const std::string& answer, const VerifierSpec& spec);

// true = accept, false = escalate, nullopt = the reply held no verdict.
std::optional<bool> parse_verdict(const std::string& content);

}  // namespace switchyard::router
