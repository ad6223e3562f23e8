// Switchyard pipelines: declarative multi-model graphs for text and documents, written in YAML.
//
// Concepts
//   - A pipeline has typed inputs, named nodes and named outputs. Each node has a type (llm,
//     extract, classify, embed, chunk, switch, index, retrieve, http, template, ...), params,
//     and inputs wired to `$inputs.NAME` or to another node's output `NODE.PORT`.
//   - Values on wires are JSON, typed statically (text, json, list<T>, embedding, image,
//     document). check_pipeline() verifies types, params, wiring, cycles and model names with
//     file:line messages before anything runs.
//   - The Executor runs nodes in dependency order, independent nodes in parallel; a node with
//     `map: PORT` runs once per element of that list input. Results are cached by a hash of
//     node type, params, input values and model identity, so re-running after an edit only
//     executes the edited node and what depends on it.
//   - A switch produces only its taken case's output; nodes wired to other cases are skipped.
//   - Nodes reach models only through PipelineServices (services.h): PoolServices runs local
//     models from the ModelPool; the server supplies a router-backed implementation.
//
// Layout
//   pipeline.h          this overview; includes the public API
//   value.{h,cpp}       value types and runtime type checks
//   node_type.{h,cpp}   NodeType, ports, params schema, NodeContext, NodeRegistry
//   definition.{h,cpp}  YAML parsing into PipelineDefinition
//   validation.cpp      check_pipeline / validate_pipeline, topological order
//   executor.{h,cpp}    Executor, RunOptions, RunResult, progress events
//   node_runner.{h,cpp} one node: cache lookup, map over a list, output checks (internal)
//   cache.{h,cpp}       stable hashing and the memory + disk NodeCache
//   text_template.*     {{var}} / {{var.field}} substitution
//   vector_store.*      vector index used by index / retrieve (interface + SQLite store)
//   pg_vector_store.*   the same in PostgreSQL (the shared store's database, or a URL)
//   services.h          PipelineServices interface; pool_services.* its local implementation
//   nodes/              the built-in node types, one file each
#pragma once

#include "pipeline/cache.h"
#include "pipeline/definition.h"
#include "pipeline/executor.h"
#include "pipeline/node_type.h"
#include "pipeline/services.h"
#include "pipeline/value.h"
