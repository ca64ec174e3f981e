// The OpenMP tiled kernels against their serial references, on odd shapes and thread counts.
#include "tessera/kernels/elementwise.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include "tessera/kernels/create.hpp"
#include "tessera/kernels/reduction.hpp"

using namespace tessera::kernels;

namespace {

Buffer random(const Shape& s, std::uint64_t seed) {
    return random_block(Distribution::kNormal, seed, DType::kFloat64, s,
                        std::vector<std::int64_t>(s.size(), 0), s, 0, 1);
}

/// (a - b) * 2 where a is read through a permutation and b broadcasts.
Program program() {
    Program p;
    p.num_inputs = 2;
    p.code = {Instr{Op::kInput, DType::kFloat64, 0},
              Instr{Op::kInput, DType::kFloat64, 1},
              Instr{Op::kSub, DType::kFloat64, 0, 1},
              Instr{Op::kConst, DType::kFloat64, 0, 0, 0, 2.0},
              Instr{Op::kMul, DType::kFloat64, 2, 3},
              Instr{Op::kGreater, DType::kBool, 4, 3},
              Instr{Op::kWhere, DType::kFloat64, 5, 4, 2}};
    return p;
}

}  // namespace

class ElementwiseTest : public ::testing::TestWithParam<Shape> {};

TEST_P(ElementwiseTest, TiledOpenMpMatchesSerialReference) {
    const Shape out = GetParam();
    Shape transposed(out.rbegin(), out.rend());  // a is stored transposed
    std::vector<int> axes;
    for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) axes.push_back(d);
    const Buffer a = random(transposed, 1);
    Shape row(out.size(), 1);
    if (!out.empty()) row.back() = out.back();
    const Buffer b = random(row, 2);
    const std::vector<Operand> ops{{&a, axes}, {&b, {}}};
    const Buffer want = evaluate_reference(program(), ops, out);
    for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        EXPECT_EQ(evaluate(program(), ops, out), want) << threads << " threads";
    }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, ElementwiseTest,
                         ::testing::Values(Shape{}, Shape{1}, Shape{0, 3}, Shape{1000},
                                           Shape{7, 513}, Shape{3, 5, 7}, Shape{2, 3, 4, 5},
                                           // ranges of whole rows; rows split into ranges; tiles
                                           // cut at row ends; 3-d rows of a transposed block
                                           Shape{301, 2000}, Shape{3, 20011}, Shape{9, 600},
                                           Shape{40, 7, 30}));

TEST(Elementwise, AnyRangeMatchesTheWholeBlock) {
    // evaluate_range (the fused reductions' path) over ranges that start and end mid-row.
    const Shape out{37, 1100};
    const Buffer a = random({1100, 37}, 3);
    const Buffer b = random({1, 1100}, 4);
    const std::vector<Operand> ops{{&a, {1, 0}}, {&b, {}}};
    const Buffer whole = evaluate_reference(program(), ops, out);
    for (auto [start, count] : {std::pair<std::int64_t, std::int64_t>{0, 1},
                                {5, 1200},
                                {1099, 2},
                                {2000, 30000},
                                {out[0] * out[1] - 7, 7}}) {
        std::vector<double> got(static_cast<std::size_t>(count));
        evaluate_range(program(), ops, out, start, count, reinterpret_cast<std::byte*>(got.data()));
        for (std::int64_t i = 0; i < count; ++i)
            ASSERT_EQ(got[static_cast<std::size_t>(i)], whole.data<double>()[start + i])
                << "range " << start << "+" << count;
    }
}

TEST(Elementwise, GeneratedInputsEqualTheirBlocks) {
    // A random input made range by range inside the program gives what its block gives, in
    // evaluate, evaluate_range and a fused reduction (long rows split into ranges, odd sizes).
    for (const Shape& out : {Shape{301, 2000}, Shape{3, 20011}, Shape{7}, Shape{0, 5}}) {
        const Shape global{out.size() == 2 ? out[0] + 4 : out[0], out.size() == 2 ? out[1] + 9 : 1};
        const std::vector<std::int64_t> offset(out.size(), 2);
        const Shape g = out.size() == 2 ? global : Shape{out[0] + 4};
        const Buffer block =
            random_block(Distribution::kUniform, 7, DType::kFloat64, g, offset, out, -1, 1);
        const BlockGenerator make = [&](std::int64_t start, std::int64_t count, std::byte* values) {
            random_range(Distribution::kUniform, 7, DType::kFloat64, g, offset, out, -1, 1, start,
                         count, values);
        };
        Shape row(out.size(), 1);
        row.back() = out.back();
        const Buffer b = random(row, 2);
        const std::vector<Operand> stored{{&block, {}}, {&b, {}}};
        const std::vector<Operand> generated{{nullptr, {}, &make, DType::kFloat64}, {&b, {}}};
        EXPECT_EQ(evaluate(program(), generated, out), evaluate(program(), stored, out));
        const ReduceSpec spec{Reduction::kStd, false, out.size() == 2 ? 3ull : 1ull, 0,
                              DType::kFloat64};
        const std::vector<std::int64_t> zero(out.size(), 0);
        EXPECT_EQ(reduce_block_fused(spec, program(), generated, out, zero, out),
                  reduce_block_fused(spec, program(), stored, out, zero, out));
    }
}

TEST(Reduction, FusedSumsMatchSumsOfTheEvaluatedBlock) {
    // A fused sum or mean takes the program's values tile by tile; tiles cross rows at any
    // offset (rows shorter than a tile, lengths not multiples of 8), and the sums must still
    // be bitwise those of the evaluated block.
    for (const Shape& out :
         {Shape{37, 13}, Shape{300, 13}, Shape{70, 3, 11}, Shape{5, 1100}, Shape{3, 20011},
          Shape{1000003}, Shape{2, 3, 4, 5}, Shape{1, 1}, Shape{0, 4}}) {
        const Buffer a = random(out, 8);
        Shape row(out.size(), 1);
        row.back() = out.back();
        const Buffer b = random(row, 9);
        const std::vector<Operand> ops{{&a, {}}, {&b, {}}};
        const Buffer whole = evaluate(program(), ops, out);
        const std::vector<std::int64_t> zero(out.size(), 0);
        const std::uint64_t all = (1ull << out.size()) - 1;
        for (Reduction op : {Reduction::kSum, Reduction::kMean})
            for (std::uint64_t axes :
                 {all, std::uint64_t{1}, std::uint64_t{1} << (out.size() - 1)}) {
                const ReduceSpec spec{op, false, axes, 0, DType::kFloat64};
                EXPECT_EQ(reduce_block_fused(spec, program(), ops, out, zero, out),
                          reduce_block(spec, whole, zero, out))
                    << reduction_name(op) << " axes " << axes << " of " << out.size() << "-d";
            }
    }
}

TEST(Elementwise, RejectsInputsThatDoNotBroadcast) {
    const Buffer a = random({3, 4}, 1);
    Program p;
    p.num_inputs = 1;
    p.code = {Instr{Op::kInput, DType::kFloat64, 0}};
    EXPECT_THROW(evaluate(p, std::vector<const Buffer*>{&a}, Shape{3, 5}), tessera::ValueError);
}

TEST(Reduction, StatesDoNotDependOnTheThreadCount) {
    const Buffer x = random({3001, 77}, 3);  // several row groups
    for (Reduction op : {Reduction::kSum, Reduction::kMean, Reduction::kVar, Reduction::kMax,
                         Reduction::kArgmin}) {
        for (std::uint64_t axes : {1ull, 2ull, 3ull}) {
            ReduceSpec spec{op, false, axes, 0, DType::kFloat64};
            omp_set_num_threads(1);
            const Buffer one = reduce_block(spec, x, {0, 0}, {3001, 77});
            omp_set_num_threads(3);
            EXPECT_EQ(reduce_block(spec, x, {0, 0}, {3001, 77}), one)
                << reduction_name(op) << " axes " << axes;
        }
    }
}

TEST(Reduction, LongRowsReduceInSegmentsAndStillMatchTheSerialSums) {
    // 1-d blocks are one long row; whole-block reductions walk them in fixed segments, in
    // parallel. The results must match a compensated serial sum and not depend on threads.
    for (std::int64_t n :
         {std::int64_t{3} * 5 * 7 * 4096, std::int64_t{1} << 20, std::int64_t{1000003}}) {
        const Buffer x = random({n}, 5);
        long double sum = 0, sq = 0;
        double lo = 1e300, hi = -1e300;
        for (double v : x.values<double>()) {
            sum += v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        const long double mean = sum / n;
        for (double v : x.values<double>()) sq += (v - mean) * (v - mean);
        const std::pair<Reduction, double> expected[] = {
            {Reduction::kSum, static_cast<double>(sum)},
            {Reduction::kMean, static_cast<double>(mean)},
            {Reduction::kVar, static_cast<double>(sq / n)},
            {Reduction::kMin, lo},
            {Reduction::kMax, hi}};
        for (const auto& [op, want] : expected) {
            const ReduceSpec spec{op, false, 1, 0, DType::kFloat64};
            omp_set_num_threads(1);
            const Buffer one = reduce_block(spec, x, {0}, {n});
            omp_set_num_threads(2);
            const Buffer two = reduce_block(spec, x, {0}, {n});
            EXPECT_EQ(one, two) << reduction_name(op) << " n=" << n;
            EXPECT_NEAR(finalize(spec, two).values<double>()[0], want,
                        1e-9 * std::max(1.0, std::abs(want)))
                << reduction_name(op) << " n=" << n;
        }
    }
}
