// The LAPACK kernels of tessera::linalg on single blocks. The distributed factorisations are
// checked against NumPy in tests/scripts/check_linalg.py; here the block QR's panel tree (which
// the small inputs there do not reach) and the kernels' errors.
#include "tessera/kernels/linalg.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tessera/kernels/block_ops.hpp"
#include "tessera/kernels/create.hpp"

using tessera::kernels::Buffer;
using tessera::kernels::DType;
namespace k = tessera::kernels;

namespace {

Buffer random_matrix(std::int64_t m, std::int64_t n, unsigned seed, DType dtype = DType::kFloat64) {
    Buffer x(DType::kFloat64, {m, n});
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (auto& v : x.values<double>()) v = normal(rng);
    return dtype == DType::kFloat64 ? x : k::astype(x, dtype);
}

/// max |a - b| over two blocks of the same shape, as float64.
double max_difference(const Buffer& a0, const Buffer& b0) {
    const Buffer a = k::astype(a0, DType::kFloat64), b = k::astype(b0, DType::kFloat64);
    EXPECT_EQ(a.shape(), b.shape());
    double d = 0;
    for (std::int64_t i = 0; i < a.size(); ++i)
        d = std::max(d, std::abs(a.data<double>()[i] - b.data<double>()[i]));
    return d;
}

Buffer identity(DType dtype, std::int64_t n) { return k::eye_block(dtype, {n, n}, {0, 0}, 0); }

Buffer product(const Buffer& a, bool at, const Buffer& b, bool bt) {
    Buffer c(a.dtype(), {a.shape()[at ? 1 : 0], b.shape()[bt ? 0 : 1]});
    k::gemm(1.0, a, at, b, bt, 0.0, c);
    return c;
}

}  // namespace

struct QrCase {
    std::int64_t m, n;
    DType dtype;
};

class BlockQrTest : public ::testing::TestWithParam<QrCase> {};

// Blocks of one panel, of several panels (two levels) and of many (three levels), wide blocks
// and an empty one: Q R is the block, Q has orthonormal columns and R is upper trapezoidal.
TEST_P(BlockQrTest, ReconstructsTheBlock) {
    const auto [m, n, dtype] = GetParam();
    const Buffer a = random_matrix(m, n, 11, dtype);
    const k::QrFactors f = k::qr_factor(a);
    const std::int64_t kk = std::min(m, n);
    const Buffer r = k::qr_r(f);
    ASSERT_EQ(r.shape(), (k::Shape{kk, n}));
    const Buffer q = k::qr_apply(f, identity(dtype, kk));
    ASSERT_EQ(q.shape(), (k::Shape{m, kk}));
    const double tol = dtype == DType::kFloat32 ? 1e-4 : 1e-12;
    EXPECT_LT(max_difference(product(q, false, r, false), a), tol * std::sqrt(double(m) + 1));
    EXPECT_LT(max_difference(product(q, true, q, false), identity(dtype, kk)), tol * 10);
    const Buffer r64 = k::astype(r, DType::kFloat64);
    for (std::int64_t i = 0; i < kk; ++i)
        for (std::int64_t j = 0; j < std::min(i, n); ++j)
            EXPECT_EQ(r64.data<double>()[i * n + j], 0);
    if (m > 2 * k::qr_panel_rows(n)) {
        EXPECT_GT(f.factors.size(), 1u) << "a panel tree was made";
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BlockQrTest,
    ::testing::Values(QrCase{100, 7, DType::kFloat64}, QrCase{5000, 8, DType::kFloat64},
                      QrCase{200003, 3, DType::kFloat64}, QrCase{7000, 32, DType::kFloat32},
                      QrCase{6, 40, DType::kFloat64}, QrCase{0, 5, DType::kFloat64}));

TEST(BlockSvd, SingularValuesAndReconstruction) {
    const Buffer a = random_matrix(300, 20, 3);
    const k::SvdFactors f = k::svd(a);
    Buffer us(f.u);
    for (std::int64_t i = 0; i < 300; ++i)
        for (std::int64_t j = 0; j < 20; ++j)
            us.data<double>()[i * 20 + j] *= f.s.data<double>()[j];
    EXPECT_LT(max_difference(product(us, false, f.vt, false), a), 1e-12);
    for (std::int64_t j = 1; j < 20; ++j)
        EXPECT_GE(f.s.data<double>()[j - 1], f.s.data<double>()[j]);
    const k::SvdFactors values = k::svd(a, false);
    EXPECT_LT(max_difference(values.s, f.s), 1e-12);
    EXPECT_EQ(values.u.size(), 0);
}

TEST(BlockFactorisations, CholeskySolveInverse) {
    const Buffer m = random_matrix(40, 40, 5);
    Buffer spd = product(m, false, m, true);
    for (std::int64_t i = 0; i < 40; ++i) spd.data<double>()[i * 40 + i] += 40;
    const Buffer l = k::cholesky(spd);
    EXPECT_LT(max_difference(product(l, false, l, true), spd), 1e-10);
    const Buffer b = random_matrix(40, 3, 6);
    Buffer x(b);
    k::triangular_solve(l, x, false);
    k::triangular_solve(l, x, true);
    EXPECT_LT(max_difference(product(spd, false, x, false), b), 1e-10);
    EXPECT_LT(max_difference(product(spd, false, k::lu_solve(spd, b), false), b), 1e-10);
    EXPECT_LT(
        max_difference(product(spd, false, k::inverse(spd), false), identity(DType::kFloat64, 40)),
        1e-10);
}

TEST(BlockFactorisations, ErrorsAreValueErrors) {
    Buffer singular(DType::kFloat64, {3, 3});
    for (auto& v : singular.values<double>()) v = 1.0;
    EXPECT_THROW(k::cholesky(singular), tessera::ValueError);
    EXPECT_THROW(k::lu_solve(singular, random_matrix(3, 1, 1)), tessera::ValueError);
    EXPECT_THROW(k::inverse(singular), tessera::ValueError);
    EXPECT_THROW(k::qr_factor(Buffer(DType::kInt64, {3, 3})), tessera::ValueError);
    EXPECT_THROW(k::cholesky(random_matrix(3, 4, 1)), tessera::ValueError);
    try {
        k::cholesky(singular, 100);
        FAIL();
    } catch (const tessera::ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("order 102"), std::string::npos) << e.what();
    }
}

TEST(BlockFactorisations, LeastSquaresRankDeficient) {
    Buffer a = random_matrix(50, 4, 9);
    for (std::int64_t i = 0; i < 50; ++i) a.data<double>()[i * 4 + 3] = a.data<double>()[i * 4];
    const k::LeastSquares ls = k::least_squares(a, random_matrix(50, 1, 10), 1e-12);
    EXPECT_EQ(ls.rank, 3);
    EXPECT_EQ(ls.x.shape(), (k::Shape{4, 1}));
    // The minimum-norm solution splits the weight of the repeated column evenly.
    EXPECT_NEAR(ls.x.data<double>()[0], ls.x.data<double>()[3], 1e-10);
}

TEST(BlockFactorisations, EmptyOperands) {
    Buffer c = random_matrix(3, 2, 4);
    k::gemm(1.0, Buffer(DType::kFloat64, {3, 0}), false, Buffer(DType::kFloat64, {0, 2}), false,
            0.0, c);
    for (double v : c.values<double>()) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(
        k::least_squares(Buffer(DType::kFloat64, {0, 3}), Buffer(DType::kFloat64, {0, 1}), 1e-12)
            .x.shape(),
        (k::Shape{3, 1}));
    EXPECT_EQ(identity(DType::kFloat64, 0).size(), 0);  // the root of an empty QR tree's Q
    EXPECT_EQ(k::cholesky(Buffer(DType::kFloat64, {0, 0})).size(), 0);
}
