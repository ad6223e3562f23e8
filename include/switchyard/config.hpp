// Switchyard's stable C++ surface: configuration. Everything in namespace switchyard:: named
// here keeps its meaning across minor versions; anything else in the source tree is internal.
//   Config       the whole switchyard.yaml (models, providers, routes, pipelines, server)
//   ModelSpec, RouteSpec, TierSpec, RemoteProviderSpec
//   load_config(path) / parse_config(yaml, base_dir)   throw ConfigError (file:line: key: why)
// Build with -I<repo> -I<repo>/include and link switchyard_router (CMake) or libswitchyard.so.
#pragma once

#include "config/config.h"

namespace switchyard::api_v1 {
using switchyard::Config;
using switchyard::ConfigError;
using switchyard::ModelSpec;
using switchyard::RemoteProviderSpec;
using switchyard::RouteSpec;
using switchyard::TierSpec;
using switchyard::load_config;
using switchyard::parse_config;
}  // namespace switchyard::api_v1
