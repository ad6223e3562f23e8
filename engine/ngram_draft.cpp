#include "engine/ngram_draft.h"

#include <algorithm>

namespace switchyard {

std::vector<llama_token> ngram_draft(const std::vector<llama_token>& history, int ngram, int max_draft) {
    const int size = static_cast<int>(history.size());
    if (ngram < 1 || max_draft < 1) return {};
    // A single-token match (n = 1) is only tried when asked for: it hits often and guesses badly,
    // and every rejected draft token is a wasted position in the verifying batch.
    for (int n = std::min(ngram, size - 1); n >= std::min(ngram, 2); --n) {
        const llama_token* tail = history.data() + size - n;
        // Latest occurrence first: the most recent context is the likeliest to continue the same way.
        for (int start = size - n - 1; start >= 0; --start) {
            if (!std::equal(tail, tail + n, history.data() + start)) continue;
            const int from = start + n, to = std::min(size, from + max_draft);
            return {history.begin() + from, history.begin() + to};
        }
    }
    return {};
}

}  // namespace switchyard
