// Umbrella header: everything a wisp embedder needs.
#pragma once

#include "wisp/contexts.hpp"
#include "wisp/dylink.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"
#include "wisp/exception.hpp"
#include "wisp/instance.hpp"
#include "wisp/limits.hpp"
#include "wisp/linker.hpp"
#include "wisp/module.hpp"
#include "wisp/runtime_stats.hpp"
#include "wisp/shared_memories.hpp"
#include "wisp/strategy.hpp"
#include "wisp/template.hpp"
#include "wisp/value.hpp"
#include "wisp/wasi.hpp"
#include "wisp/wasi_threads.hpp"
