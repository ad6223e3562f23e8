// Prompt-lookup drafting for speculative decoding: when an answer copies spans of its input
// (extraction, grammar fixes, summaries), the tokens that followed the answer's last few tokens
// the last time they occurred are a good guess for what comes next. The scheduler verifies such a
// draft in one batched decode and keeps only the tokens the model itself would have chosen.
#pragma once

#include <llama.h>

#include <vector>

namespace switchyard {

// The draft for `history` (every token of the sequence so far, the last one included): finds the
// latest earlier occurrence of its last n tokens, trying n = ngram down to min(ngram, 2), and
// returns up to max_draft tokens that followed it. Empty when nothing matches.
std::vector<llama_token> ngram_draft(const std::vector<llama_token>& history, int ngram, int max_draft);

}  // namespace switchyard
