// A yes/no question put to a model as an OpenAI chat request, with the reply forced into
// {"verdict": "<yes label>"|"<no label>"} by a JSON schema (local models enforce it with a grammar,
// remote ones with response_format), so small models cannot ramble past a readable verdict.
// Used by the cascade verifier (router/verifier.cpp) and the eval harness's LLM judge
// (eval/checkers.cpp); each words its own prompt and reads its own labels.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace switchyard::wire {

struct VerdictQuestion {
    std::string model;        // the judging model, as its provider names it
    std::string prompt;       // the whole question, already worded
    std::string yes = "yes";  // the two labels the schema allows
    std::string no = "no";
    int max_tokens = 64;      // grammars allow free whitespace, which small models use
};

nlohmann::json verdict_request(const VerdictQuestion& q);

}  // namespace switchyard::wire
