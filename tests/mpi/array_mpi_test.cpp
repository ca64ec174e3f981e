// Arrays over MPI with 1, 3 and 4 ranks: the same scenarios and the same expected values.
#include <gtest/gtest.h>

#include "runtime/array_scenarios.hpp"
#include "tessera/tessera.hpp"

namespace {

TEST(ArrayMpi, Creation) { array_scenarios::creation(); }
TEST(ArrayMpi, RandomIsIndependentOfChunking) {
    array_scenarios::random_is_independent_of_chunking();
}
TEST(ArrayMpi, ElementwiseBroadcastingAndFusion) {
    array_scenarios::elementwise_broadcasting_and_fusion();
}
TEST(ArrayMpi, TypePromotionAndIntegerSemantics) {
    array_scenarios::type_promotion_and_integer_semantics();
}
TEST(ArrayMpi, Reductions2d) { array_scenarios::reductions({7, 5}, tessera::ChunkSpec({3, 2})); }
TEST(ArrayMpi, Reductions4d) {
    array_scenarios::reductions({3, 2, 4, 5}, tessera::ChunkSpec({2, 1, 3, 2}));
}
TEST(ArrayMpi, ReductionsAreBitwiseReproducible) {
    array_scenarios::reductions_are_bitwise_reproducible();
}
TEST(ArrayMpi, NanReductions) { array_scenarios::nan_reductions(); }
TEST(ArrayMpi, Structure) { array_scenarios::structure(); }
TEST(ArrayMpi, MatmulAndTensordot) { array_scenarios::matmul_and_tensordot(); }
TEST(ArrayMpi, SeedExpressions) { array_scenarios::seed_expressions(); }

}  // namespace

namespace {

// The same reductions computed by this job's ranks and by one in-process worker agree bit for
// bit: reduction trees are fixed by chunk index, not by where or when blocks were computed.
TEST(ArrayMpi, ReductionsAreBitwiseTheSameAsOnOneWorker) {
    using namespace tessera;
    auto expressions = [] {
        const Array x =
            random::random({151, 151}, ChunkSpec({40, 30}), 5);  // x.T is rechunked to add
        return std::vector<Array>{((x + x.T()) - x.mean({0})).std(), x.sum({1}), x.var({0}, 1),
                                  (x * x).mean()};
    };
    const auto distributed = compute(expressions());
    std::vector<Buffer> local;
    {
        RuntimeOptions quiet;
        quiet.progress = ProgressMode::kNone;
        LocalCluster one(1, quiet);
        local = compute(expressions());
    }
    ASSERT_EQ(distributed.size(), local.size());
    for (std::size_t i = 0; i < local.size(); ++i)
        EXPECT_TRUE(distributed[i] == local[i]) << "expression " << i;
}

}  // namespace

namespace {
TEST(ArrayMpi, Hdf5RoundTrip) { array_scenarios::hdf5_round_trip("mpi"); }
TEST(ArrayMpi, Hdf5Errors) { array_scenarios::hdf5_errors("mpi"); }
}  // namespace

namespace {
TEST(ArrayMpi, UserBlockFunctions) { array_scenarios::user_block_functions(); }
TEST(ArrayMpi, OverlapStencils) { array_scenarios::overlap_stencils(); }
}  // namespace

namespace {
TEST(ArrayMpi, Hdf5Gzip) { array_scenarios::hdf5_gzip("mpi"); }
}  // namespace
