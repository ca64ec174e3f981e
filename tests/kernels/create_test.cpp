// Random blocks (batched, vectorised Philox) against Random123's own Philox4x32-10 element by
// element, and the creation kernels against their definitions.
#include "tessera/kernels/create.hpp"

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace tessera::kernels;

TEST(RandomBlock, EveryElementIsRandom123sPhiloxAtItsGlobalIndex) {
    const Shape global{37, 1001};
    const std::vector<std::int64_t> offset{5, 333};
    const Shape shape{7, 601};
    for (Distribution dist :
         {Distribution::kUniform, Distribution::kNormal, Distribution::kIntegers}) {
        const double a = dist == Distribution::kIntegers ? -5 : 0.5,
                     b = dist == Distribution::kIntegers ? 1000 : 2.0;
        const Buffer block =
            random_block(dist, 12345, DType::kFloat64, global, offset, shape, a, b);
        PhiloxCache cache;
        for (std::int64_t i = 0; i < shape[0]; ++i)
            for (std::int64_t j = 0; j < shape[1]; ++j) {
                const auto g =
                    static_cast<std::uint64_t>((offset[0] + i) * global[1] + offset[1] + j);
                ASSERT_EQ(block.data<double>()[i * shape[1] + j],
                          random_value(dist, 12345, g, a, b, cache))
                    << "distribution " << static_cast<int>(dist) << " element " << i << "," << j;
            }
    }
}

namespace {

/// words[2i], words[2i + 1] are Random123's Philox4x32-10 of counters[i] and `seed`.
void expect_random123_words(std::uint64_t seed, const std::vector<std::uint64_t>& counters,
                            const std::vector<std::uint64_t>& words, bool portable) {
    for (std::size_t i = 0; i < counters.size(); ++i) {
        const std::uint64_t c = counters[i];
        r123::Philox4x32 rng;
        const auto r =
            rng({{static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), 0, 0}},
                {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}});
        ASSERT_EQ(words[2 * i], (std::uint64_t{r[0]} << 32) | r[1])
            << "counter " << c << " portable " << portable;
        ASSERT_EQ(words[2 * i + 1], (std::uint64_t{r[2]} << 32) | r[3])
            << "counter " << c << " portable " << portable;
    }
}

}  // namespace

TEST(RandomBlock, PhiloxBatchesAreRandom123sPhiloxOnEveryPath) {
    // Counters whose high 32 bits are set and that cross 2^32; odd batch sizes.
    for (bool portable : {false, true})
        for (auto [first, n] : {std::pair<std::uint64_t, int>{0, 256},
                                {(std::uint64_t{1} << 32) - 5, 37},
                                {(std::uint64_t{7} << 40) + 3, 1},
                                {12345, 255}}) {
            std::vector<std::uint64_t> counters, words(2 * kPhiloxBatch);
            for (int i = 0; i < n; ++i) counters.push_back(first + static_cast<std::uint64_t>(i));
            const std::uint64_t seed = 0x0123456789abcdefULL;
            philox_batch(seed, first, n, words.data(), portable);
            expect_random123_words(seed, counters, words, portable);
        }
}

TEST(RandomBlock, PhiloxOfListedCountersIsRandom123sPhiloxOnEveryPath) {
    // Counters out of order, repeated, above 2^32, in lists whose ends are not multiples of 8.
    for (bool portable : {false, true})
        for (int n : {1, 7, 33, 256}) {
            std::vector<std::uint64_t> counters, words(2 * kPhiloxBatch);
            for (int i = 0; i < n; ++i)
                counters.push_back((std::uint64_t{97} * static_cast<std::uint64_t>(i * i))
                                   << (i % 40));
            const std::uint64_t seed = 0xfedcba9876543210ULL;
            philox_counters(seed, counters.data(), n, words.data(), portable);
            expect_random123_words(seed, counters, words, portable);
        }
}

TEST(RandomBlock, TransposedRangesAreTheBlocksTranspose) {
    // Any range of the transpose: whole bands of rows, ranges starting and ending inside rows,
    // single elements, runs longer than a Philox batch (a block of few rows); odd and even
    // global widths and offsets (runs starting on either word of a counter); every
    // distribution; float32 and int64.
    struct Case {
        Shape global;
        std::vector<std::int64_t> offset;
        Shape shape;
    };
    for (const Case& c :
         {Case{{40, 1001}, {5, 333}, {7, 601}}, Case{{2000, 2000}, {400, 1200}, {400, 300}},
          Case{{3, 20011}, {0, 4}, {3, 20001}}, Case{{9, 9}, {8, 8}, {1, 1}}})
        for (Distribution dist :
             {Distribution::kUniform, Distribution::kNormal, Distribution::kIntegers})
            for (DType dtype : {DType::kFloat64, DType::kFloat32, DType::kInt64}) {
                if (dtype == DType::kInt64 && dist != Distribution::kIntegers) continue;
                const double a = dist == Distribution::kIntegers ? -5 : 0.5,
                             b = dist == Distribution::kIntegers ? 1000 : 2.0;
                const Buffer block =
                    random_block(dist, 77, dtype, c.global, c.offset, c.shape, a, b);
                const std::int64_t rows = c.shape[1], cols = c.shape[0], total = rows * cols;
                const std::size_t elem = dtype_size(dtype);
                for (auto [start, count] : {std::pair<std::int64_t, std::int64_t>{0, total},
                                            {0, cols},
                                            {cols, 3 * cols},
                                            {1, cols},
                                            {cols - 1, 2},
                                            {total / 2, total - total / 2},
                                            {total - 1, 1}}) {
                    if (start + count > total) continue;
                    std::vector<std::byte> got(static_cast<std::size_t>(count) * elem);
                    random_range_transposed(dist, 77, dtype, c.global, c.offset, c.shape, a, b,
                                            start, count, got.data());
                    for (std::int64_t e = start; e < start + count; ++e) {
                        const std::int64_t
                            i = e / cols,
                            j = e % cols;  // (i, j) of the transpose is (j, i) of the block
                        ASSERT_EQ(
                            std::memcmp(
                                got.data() + (e - start) * static_cast<std::int64_t>(elem),
                                block.bytes() + (j * rows + i) * static_cast<std::int64_t>(elem),
                                elem),
                            0)
                            << "shape " << shape_text(c.shape) << " distribution "
                            << static_cast<int>(dist) << " dtype " << dtype_name(dtype) << " range "
                            << start << "+" << count << " element " << e;
                    }
                }
            }
}

TEST(RandomBlock, UniformValuesAreTheTopFiftyThreeBitsOfTheirWord) {
    // Far into a large array (counters above 2^32), rows starting at odd elements, float32 too.
    const Shape global{1 << 20, (1 << 14) + 1};
    const std::vector<std::int64_t> offset{(1 << 20) - 3, 1001};
    const Shape shape{3, 777};
    const double a = -2.0, b = 3.5;
    const Buffer f64 =
        random_block(Distribution::kUniform, 99, DType::kFloat64, global, offset, shape, a, b);
    const Buffer f32 =
        random_block(Distribution::kUniform, 99, DType::kFloat32, global, offset, shape, a, b);
    for (std::int64_t i = 0; i < shape[0]; ++i)
        for (std::int64_t j = 0; j < shape[1]; ++j) {
            const auto g = static_cast<std::uint64_t>((offset[0] + i) * global[1] + offset[1] + j);
            r123::Philox4x32 rng;
            const std::uint64_t c = g / 2;
            const auto r =
                rng({{static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), 0, 0}},
                    {{99, 0}});
            const std::uint64_t word =
                g % 2 ? (std::uint64_t{r[2]} << 32) | r[3] : (std::uint64_t{r[0]} << 32) | r[1];
            const double want = a + (b - a) * (static_cast<double>(word >> 11) * 0x1p-53);
            ASSERT_EQ(f64.data<double>()[i * shape[1] + j], want) << i << "," << j;
            ASSERT_EQ(f32.data<float>()[i * shape[1] + j], static_cast<float>(want))
                << i << "," << j;
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
