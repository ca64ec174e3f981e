#pragma once
// The runtime of a tessera program: lazy calls, futures, the client and errors. The collections
// are libraries of their own with their own headers: tessera/array.hpp (tessera::array).
#include "tessera/kernels/buffer.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/delayed.hpp"
#include "tessera/runtime/error.hpp"
#include "tessera/runtime/options.hpp"
#include "tessera/runtime/runtime.hpp"
