// Switchyard's stable C++ surface: the local model pool.
//   ModelPool(config)          the configured models, loaded on first use, LRU-evicted past memory_budget
//   pool.acquire(name_or_alias) -> ModelLease   keeps the model in memory while held
//   lease->generate_chat(ChatInput, SamplingParams, EventSink) -> GenerationHandle (cancel())
//   lease->generate_text(prompt, json_schema, SamplingParams, EventSink)
//   lease->embed(texts, prompt_tokens) -> L2-normalised vectors
//   GenerationEvent            delta / done / error, delivered on the model's scheduler thread
//   EngineError                what the engine throws (unknown model, queue full, context overflow...)
// For OpenAI-shaped answers (chunks, usage, tool calls) use the router (switchyard/router.hpp):
// a model name is a route with one tier.
#pragma once

#include "engine/engine_error.h"
#include "engine/generation.h"
#include "engine/model_pool.h"

namespace switchyard::api_v1 {
using switchyard::ChatInput;
using switchyard::EngineError;
using switchyard::EventSink;
using switchyard::GenerationEvent;
using switchyard::GenerationHandle;
using switchyard::ModelLease;
using switchyard::ModelPool;
using switchyard::SamplingParams;
}  // namespace switchyard::api_v1
