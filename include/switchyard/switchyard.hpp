// Switchyard's stable C++ surface in one include: config, pool, router, pipelines.
// Names live in switchyard::api_v1 (aliases of the implementation's types), so an embedding
// application can write `namespace sy = switchyard::api_v1;` and stay on the stable subset.
// The C API (../switchyard.h, libswitchyard.so) is the ABI-stable alternative.
#pragma once

#include "switchyard/config.hpp"
#include "switchyard/pipeline.hpp"
#include "switchyard/pool.hpp"
#include "switchyard/router.hpp"
