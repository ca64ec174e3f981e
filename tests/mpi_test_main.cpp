// The main of every MPI test: an SPMD tessera program like any other. Ranks >= 1 become workers
// inside the Runtime constructor; rank 0 runs the GoogleTest cases as the driver, and its result
// becomes every rank's exit code through the shutdown message.
// TESSERA_MEMORY_LIMIT sets the workers' memory limit and TESSERA_EXCHANGE_ROUND_BYTES the
// round size of exchanges (the out-of-core tests use them).
#include <gtest/gtest.h>

#include <cstdlib>

#include "tessera/tessera.hpp"

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    tessera::RuntimeOptions options;
    options.progress = tessera::ProgressMode::kNone;
    if (const char* limit = std::getenv("TESSERA_MEMORY_LIMIT"))
        options.memory_limit = tessera::parse_bytes(limit);
    if (const char* round = std::getenv("TESSERA_EXCHANGE_ROUND_BYTES"))
        options.exchange_round_bytes = tessera::parse_bytes(round);
    tessera::Runtime rt(argc, argv, options);
    const int code = RUN_ALL_TESTS();
    rt.client().set_exit_code(code);
    return code;
}
