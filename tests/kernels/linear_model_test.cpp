#include "tessera/kernels/linear_model.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>

using tessera::kernels::Buffer;
using tessera::kernels::DType;

namespace {

Buffer random_matrix(std::int64_t n, std::int64_t p, unsigned seed) {
    Buffer x(DType::kFloat64, {n, p});
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(3.0, 2.0);
    for (auto& v : x.values<double>()) v = normal(rng);
    return x;
}

}  // namespace

class ColumnScalingTest : public ::testing::TestWithParam<std::pair<std::int64_t, std::int64_t>> {};

TEST_P(ColumnScalingTest, OpenMpMatchesSerialReference) {
    const auto [n, p] = GetParam();
    const Buffer x = random_matrix(n, p, 7);
    for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        const auto got = tessera::kernels::column_scaling(x);
        const auto want = tessera::kernels::column_scaling_reference(x);
        ASSERT_EQ(got.mean.size(), static_cast<std::size_t>(p));
        for (std::int64_t j = 0; j < p; ++j) {
            EXPECT_EQ(got.mean[j], want.mean[j]);  // same per-column order: bitwise equal
            EXPECT_EQ(got.stddev[j], want.stddev[j]);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, ColumnScalingTest,
                         ::testing::Values(std::pair<std::int64_t, std::int64_t>{0, 3},
                                           std::pair<std::int64_t, std::int64_t>{1, 1},
                                           std::pair<std::int64_t, std::int64_t>{7, 3},
                                           std::pair<std::int64_t, std::int64_t>{1001, 17}));

TEST(Standardize, GivesZeroMeanUnitVariance) {
    const Buffer x = random_matrix(501, 5, 3);
    const Buffer z = tessera::kernels::standardize(x, tessera::kernels::column_scaling(x));
    const auto s = tessera::kernels::column_scaling_reference(z);
    for (int j = 0; j < 5; ++j) {
        EXPECT_NEAR(s.mean[j], 0.0, 1e-12);
        EXPECT_NEAR(s.stddev[j], 1.0, 1e-12);
    }
}

TEST(Standardize, ConstantColumnKeepsUnitScale) {
    Buffer x(DType::kFloat64, {4, 1});
    for (auto& v : x.values<double>()) v = 5.0;
    const auto s = tessera::kernels::column_scaling(x);
    EXPECT_EQ(s.stddev[0], 1.0);
}

TEST(RidgeFit, RecoversExactWeightsWithoutNoise) {
    const Buffer x = random_matrix(200, 4, 11);
    const std::vector<double> w_true{1.5, -2.0, 0.25, 3.0};
    Buffer y(DType::kFloat64, {200});
    for (int i = 0; i < 200; ++i) {
        double t = 0;
        for (int j = 0; j < 4; ++j) t += x.data<double>()[i * 4 + j] * w_true[j];
        y.data<double>()[i] = t;
    }
    const auto w = tessera::kernels::ridge_fit(x, y, 0.0);
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(w[j], w_true[j], 1e-9);
    EXPECT_NEAR(tessera::kernels::mean_squared_error(x, y, w), 0.0, 1e-15);
}

TEST(RidgeFit, PenaltyMatchesClosedFormForOneFeature) {
    // One feature: w = sum(x y) / (sum(x^2) + alpha).
    const std::vector<double> xs{1, 2, 3}, ys{2, 3, 7};
    const Buffer x = Buffer::from_values<double>({3, 1}, xs);
    const Buffer y = Buffer::from_values<double>({3}, ys);
    const auto w = tessera::kernels::ridge_fit(x, y, 2.0);
    EXPECT_NEAR(w[0], (2.0 + 6.0 + 21.0) / (14.0 + 2.0), 1e-14);
}

TEST(RidgeFit, MismatchedShapesAreRejected) {
    const Buffer x = random_matrix(10, 2, 1);
    Buffer y(DType::kFloat64, {9});
    EXPECT_THROW(tessera::kernels::ridge_fit(x, y, 1.0), tessera::ValueError);
}
