// Random blocks (batched, vectorised Philox) against Random123's own Philox4x32-10 element by
// element, and the creation kernels against their definitions.
#include "tessera/kernels/create.hpp"

#include <gtest/gtest.h>

using namespace tessera::kernels;

TEST(RandomBlock, EveryElementIsRandom123sPhiloxAtItsGlobalIndex) {
    const Shape global{37, 1001};
    const std::vector<std::int64_t> offset{5, 333};
    const Shape shape{7, 601};
    for (Distribution dist : {Distribution::kUniform, Distribution::kNormal, Distribution::kIntegers}) {
        const double a = dist == Distribution::kIntegers ? -5 : 0.5, b = dist == Distribution::kIntegers ? 1000 : 2.0;
        const Buffer block = random_block(dist, 12345, DType::kFloat64, global, offset, shape, a, b);
        PhiloxCache cache;
        for (std::int64_t i = 0; i < shape[0]; ++i)
            for (std::int64_t j = 0; j < shape[1]; ++j) {
                const auto g = static_cast<std::uint64_t>((offset[0] + i) * global[1] + offset[1] + j);
                ASSERT_EQ(block.data<double>()[i * shape[1] + j], random_value(dist, 12345, g, a, b, cache))
                    << "distribution " << static_cast<int>(dist) << " element " << i << "," << j;
            }
    }
}

TEST(CreateKernels, RangesAndIdentities) {
    const Buffer r = arange_block(DType::kInt64, 3, 4, 10, 2);
    EXPECT_EQ(r.data<std::int64_t>()[0], 16);
    EXPECT_EQ(r.data<std::int64_t>()[3], 22);
    const Buffer l = linspace_block(DType::kFloat64, 8, 3, 0, 1, 11, true);
    EXPECT_DOUBLE_EQ(l.data<double>()[2], 1.0);
    const Buffer e = eye_block(DType::kInt32, {2, 3}, {1, 1}, 0);
    EXPECT_EQ(e.data<std::int32_t>()[0], 1);
    EXPECT_EQ(e.data<std::int32_t>()[4], 1);
    EXPECT_EQ(e.data<std::int32_t>()[1], 0);
}
