#pragma once
// Everything a tessera program needs: the runtime, lazy calls and futures.
#include "tessera/kernels/buffer.hpp"
#include "tessera/runtime/array.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/delayed.hpp"
#include "tessera/runtime/error.hpp"
#include "tessera/runtime/options.hpp"
#include "tessera/runtime/runtime.hpp"
