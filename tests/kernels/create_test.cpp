// Random blocks (batched, vectorised Philox) against Random123's own Philox4x32-10 element by
// element, and the creation kernels against their definitions.
#include "tessera/kernels/create.hpp"

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <vector>

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

TEST(RandomBlock, PhiloxBatchesAreRandom123sPhiloxOnEveryPath) {
    // Counters whose high 32 bits are set and that cross 2^32; odd batch sizes.
    for (bool portable : {false, true})
        for (auto [first, n] : {std::pair<std::uint64_t, int>{0, 256}, {(std::uint64_t{1} << 32) - 5, 37},
                                {(std::uint64_t{7} << 40) + 3, 1}, {12345, 255}}) {
            std::vector<std::uint64_t> words(2 * kPhiloxBatch);
            const std::uint64_t seed = 0x0123456789abcdefULL;
            philox_batch(seed, first, n, words.data(), portable);
            for (int i = 0; i < n; ++i) {
                const std::uint64_t c = first + static_cast<std::uint64_t>(i);
                r123::Philox4x32 rng;
                const auto r = rng({{static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), 0, 0}},
                                   {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
                ASSERT_EQ(words[2 * i], (std::uint64_t{r[0]} << 32) | r[1]) << "counter " << c << " portable " << portable;
                ASSERT_EQ(words[2 * i + 1], (std::uint64_t{r[2]} << 32) | r[3]) << "counter " << c << " portable " << portable;
            }
        }
}

TEST(RandomBlock, UniformValuesAreTheTopFiftyThreeBitsOfTheirWord) {
    // Far into a large array (counters above 2^32), rows starting at odd elements, float32 too.
    const Shape global{1 << 20, (1 << 14) + 1};
    const std::vector<std::int64_t> offset{(1 << 20) - 3, 1001};
    const Shape shape{3, 777};
    const double a = -2.0, b = 3.5;
    const Buffer f64 = random_block(Distribution::kUniform, 99, DType::kFloat64, global, offset, shape, a, b);
    const Buffer f32 = random_block(Distribution::kUniform, 99, DType::kFloat32, global, offset, shape, a, b);
    for (std::int64_t i = 0; i < shape[0]; ++i)
        for (std::int64_t j = 0; j < shape[1]; ++j) {
            const auto g = static_cast<std::uint64_t>((offset[0] + i) * global[1] + offset[1] + j);
            r123::Philox4x32 rng;
            const std::uint64_t c = g / 2;
            const auto r = rng({{static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), 0, 0}}, {{99, 0}});
            const std::uint64_t word = g % 2 ? (std::uint64_t{r[2]} << 32) | r[3] : (std::uint64_t{r[0]} << 32) | r[1];
            const double want = a + (b - a) * (static_cast<double>(word >> 11) * 0x1p-53);
            ASSERT_EQ(f64.data<double>()[i * shape[1] + j], want) << i << "," << j;
            ASSERT_EQ(f32.data<float>()[i * shape[1] + j], static_cast<float>(want)) << i << "," << j;
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
