// Arrays over the in-process transport, with 1 and 3 workers.
#include <gtest/gtest.h>

#include "runtime/array_scenarios.hpp"
#include "tessera/tessera.hpp"

namespace {

class ArrayTest : public ::testing::TestWithParam<int> {
protected:
    static tessera::RuntimeOptions quiet() {
        tessera::RuntimeOptions o;
        o.progress = tessera::ProgressMode::kNone;
        return o;
    }
    tessera::LocalCluster cluster_{GetParam(), quiet()};
};

TEST_P(ArrayTest, Creation) { array_scenarios::creation(); }
TEST_P(ArrayTest, RandomIsIndependentOfChunking) {
    array_scenarios::random_is_independent_of_chunking();
}
TEST_P(ArrayTest, ElementwiseBroadcastingAndFusion) {
    array_scenarios::elementwise_broadcasting_and_fusion();
}
TEST_P(ArrayTest, TypePromotionAndIntegerSemantics) {
    array_scenarios::type_promotion_and_integer_semantics();
}
TEST_P(ArrayTest, Reductions1d) { array_scenarios::reductions({17}, tessera::ChunkSpec(4)); }
TEST_P(ArrayTest, Reductions2dSingleElementChunks) {
    array_scenarios::reductions({3, 4}, tessera::ChunkSpec(1));
}
TEST_P(ArrayTest, Reductions3d) {
    array_scenarios::reductions({5, 4, 7}, tessera::ChunkSpec({2, 3, 4}));
}
TEST_P(ArrayTest, Reductions4d) {
    array_scenarios::reductions({3, 2, 4, 5}, tessera::ChunkSpec({2, 1, 3, 2}));
}
TEST_P(ArrayTest, ReductionsAreBitwiseReproducible) {
    array_scenarios::reductions_are_bitwise_reproducible();
}
TEST_P(ArrayTest, NanReductions) { array_scenarios::nan_reductions(); }
TEST_P(ArrayTest, Structure) { array_scenarios::structure(); }
TEST_P(ArrayTest, MatmulAndTensordot) { array_scenarios::matmul_and_tensordot(); }
TEST_P(ArrayTest, SeedExpressions) { array_scenarios::seed_expressions(); }

INSTANTIATE_TEST_SUITE_P(Workers, ArrayTest, ::testing::Values(1, 3), [](const auto& param_info) {
    return std::to_string(param_info.param) + "workers";
});

}  // namespace

namespace {
TEST_P(ArrayTest, Hdf5RoundTrip) {
    array_scenarios::hdf5_round_trip("local" + std::to_string(GetParam()));
}
TEST_P(ArrayTest, Hdf5Errors) {
    array_scenarios::hdf5_errors("local" + std::to_string(GetParam()));
}
}  // namespace

namespace {
TEST_P(ArrayTest, UserBlockFunctions) { array_scenarios::user_block_functions(); }
TEST_P(ArrayTest, OverlapStencils) { array_scenarios::overlap_stencils(); }
}  // namespace

namespace {
TEST_P(ArrayTest, Hdf5Gzip) { array_scenarios::hdf5_gzip("local" + std::to_string(GetParam())); }
}  // namespace
