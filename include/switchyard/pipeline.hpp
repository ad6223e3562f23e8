// Switchyard's stable C++ surface: pipelines (multi-model graphs written in YAML).
//   load_pipeline_file(path) -> PipelineDefinition     throws PipelineError naming each problem
//   StandalonePipelineHost(config).services()          models and routes for the nodes
//   Executor(builtin_nodes(), services).run(def, inputs, options) -> RunResult
//   to_json(RunResult)                                  {"ok", "outputs", "nodes", "duration_ms"}
#pragma once

#include "pipeline/pipeline.h"
#include "router/pipeline_services.h"

namespace switchyard::api_v1 {
using switchyard::pipeline::Executor;
using switchyard::pipeline::PipelineDefinition;
using switchyard::pipeline::PipelineError;
using switchyard::pipeline::RunResult;
using switchyard::pipeline::builtin_nodes;
using switchyard::pipeline::load_pipeline_file;
using switchyard::router::StandalonePipelineHost;
}  // namespace switchyard::api_v1
