// Validation of OpenAI request bodies into engine inputs. Pure functions (no I/O), so every
// rule and every error message is unit-tested; a violation throws ApiError with the field named.
#pragma once

#include "wire/api_error.h"
#include "config/config.h"
#include "engine/generation.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace switchyard::wire {

using json = nlohmann::json;

// Parses a request body; malformed JSON or a non-object is a 400 with the parser's position.
json parse_body(const std::string& body);

// The "model" field: required, a non-empty string.
std::string require_model(const json& body);

struct ChatRequest {
    std::string model;
    ChatInput input;
    SamplingParams sampling;
    bool stream = false;
    bool include_usage = false;
    bool logprobs = false;
};

struct CompletionRequest {
    std::string model;
    std::string prompt;
    std::string json_schema;
    SamplingParams sampling;
    bool stream = false;
    bool include_usage = false;
    bool echo = false;
    int logprobs = -1;   // legacy: number of alternatives, -1 = none
};

struct EmbeddingRequest {
    std::string model;
    std::vector<std::string> inputs;
    bool base64 = false;
};

// Request sampling fields merged over the model's defaults (also used for max_tokens caps).
ChatRequest parse_chat_request(const json& body, const SamplingDefaults& defaults);
CompletionRequest parse_completion_request(const json& body, const SamplingDefaults& defaults);
EmbeddingRequest parse_embedding_request(const json& body);

}  // namespace switchyard::wire
