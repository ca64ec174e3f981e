// Halos of every block of a 2-d array cut into uneven blocks, for each boundary rule and depth,
// against the padded whole array computed element by element from the rule's definition.
#include "tessera/kernels/overlap.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace tessera::kernels;

namespace {

/// The element at global (i, j) of the array padded by rule `b` (the constant for kConstant).
double padded(const std::vector<double>& a, std::int64_t rows, std::int64_t cols, std::int64_t i,
              std::int64_t j, Boundary b, double constant) {
    auto fold = [&](std::int64_t k, std::int64_t n, bool& is_constant) {
        if (k >= 0 && k < n) return k;
        switch (b) {
            case Boundary::kPeriodic:
                return (k % n + n) % n;
            case Boundary::kReflect:
                return k < 0 ? -k - 1 : 2 * n - k - 1;
            case Boundary::kNearest:
                return k < 0 ? std::int64_t{0} : n - 1;
            default:
                is_constant = true;
                return std::int64_t{0};
        }
    };
    bool is_constant = false;
    const std::int64_t r = fold(i, rows, is_constant), c = fold(j, cols, is_constant);
    return is_constant ? constant : a[static_cast<std::size_t>(r * cols + c)];
}

}  // namespace

TEST(Overlap, HalosOfEveryBlockMatchThePaddedArray) {
    const std::vector<std::int64_t> row_chunks{3, 5, 2}, col_chunks{4, 7, 3};
    const std::int64_t rows = 10, cols = 14;
    std::vector<double> a(static_cast<std::size_t>(rows * cols));
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = static_cast<double>(k) * 1.5 - 7;
    // The blocks, and their offsets.
    std::vector<std::int64_t> row_at{0}, col_at{0};
    for (auto n : row_chunks) row_at.push_back(row_at.back() + n);
    for (auto n : col_chunks) col_at.push_back(col_at.back() + n);
    std::vector<Buffer> blocks;
    for (std::size_t bi = 0; bi < row_chunks.size(); ++bi)
        for (std::size_t bj = 0; bj < col_chunks.size(); ++bj) {
            Buffer b(DType::kFloat64, {row_chunks[bi], col_chunks[bj]});
            for (std::int64_t i = 0; i < row_chunks[bi]; ++i)
                for (std::int64_t j = 0; j < col_chunks[bj]; ++j)
                    b.data<double>()[i * col_chunks[bj] + j] =
                        a[static_cast<std::size_t>((row_at[bi] + i) * cols + col_at[bj] + j)];
            blocks.push_back(std::move(b));
        }
    const auto nr = static_cast<std::int64_t>(row_chunks.size()),
               nc = static_cast<std::int64_t>(col_chunks.size());
    for (Boundary boundary : {Boundary::kReflect, Boundary::kPeriodic, Boundary::kNearest,
                              Boundary::kConstant, Boundary::kNone})
        for (const std::vector<std::int64_t>& depth :
             std::vector<std::vector<std::int64_t>>{{1, 1}, {2, 1}, {0, 2}, {2, 2}})
            for (std::int64_t bi = 0; bi < nr; ++bi)
                for (std::int64_t bj = 0; bj < nc; ++bj) {
                    HaloSpec spec;
                    spec.depth = depth;
                    spec.boundary = boundary;
                    spec.constant = -2.5;
                    spec.at_low_edge = {bi == 0, bj == 0};
                    spec.at_high_edge = {bi == nr - 1, bj == nc - 1};
                    // The 3 x 3 neighbours, wrapped (the caller's job for 'periodic').
                    std::vector<const Buffer*> around(9, nullptr);
                    for (int di = -1; di <= 1; ++di)
                        for (int dj = -1; dj <= 1; ++dj) {
                            const std::int64_t i = bi + di, j = bj + dj;
                            const bool inside = i >= 0 && i < nr && j >= 0 && j < nc;
                            if (!inside && boundary != Boundary::kPeriodic) continue;
                            const std::size_t slot = static_cast<std::size_t>(di + 1) * 3 +
                                                     static_cast<std::size_t>(dj + 1);
                            around[slot] = &blocks[static_cast<std::size_t>(((i + nr) % nr) * nc +
                                                                            (j + nc) % nc)];
                        }
                    std::vector<std::int64_t> low;
                    const Buffer got = extend_with_halo(around, spec, low);
                    const Shape& s = got.shape();
                    for (std::int64_t i = 0; i < s[0]; ++i)
                        for (std::int64_t j = 0; j < s[1]; ++j) {
                            const double want = padded(a, rows, cols, row_at[bi] + i - low[0],
                                                       col_at[bj] + j - low[1], boundary, -2.5);
                            ASSERT_EQ(got.data<double>()[i * s[1] + j], want)
                                << "boundary " << static_cast<int>(boundary) << " depth "
                                << depth[0] << "," << depth[1] << " block " << bi << "," << bj
                                << " at " << i << "," << j;
                        }
                    const bool none = boundary == Boundary::kNone;
                    EXPECT_EQ(low[0], none && bi == 0 ? 0 : depth[0]);
                    EXPECT_EQ(s[1], col_chunks[static_cast<std::size_t>(bj)] +
                                        (none && bj == 0 ? 0 : depth[1]) +
                                        (none && bj == nc - 1 ? 0 : depth[1]));
                }
}
