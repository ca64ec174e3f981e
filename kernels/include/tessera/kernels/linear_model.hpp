#pragma once
// Dense linear-model kernels on row-major float64 buffers: column standardisation (OpenMP) and
// ridge regression through BLAS/LAPACK. Used by the grid-search example and its tests.
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

/// Column means and standard deviations of an (n, p) float64 buffer.
struct ColumnScaling {
    std::vector<double> mean;
    std::vector<double> stddev;
};

/// Scaling of each column (population standard deviation; 1 where a column is constant).
/// OpenMP-parallel over columns.
ColumnScaling column_scaling(const Buffer& x);
/// The same, computed serially: the reference the OpenMP kernel is tested against.
ColumnScaling column_scaling_reference(const Buffer& x);

/// Returns (x - mean) / stddev column by column. OpenMP-parallel over rows.
Buffer standardize(const Buffer& x, const ColumnScaling& scaling);

/// Ridge regression weights w minimising |x w - y|^2 + alpha |w|^2, by the normal equations
/// (x^T x + alpha I) w = x^T y: DSYRK and DGEMV from BLAS, then a Cholesky solve (LAPACK DPOSV).
/// x is (n, p), y is (n). Throws ValueError on mismatched shapes or a singular system.
std::vector<double> ridge_fit(const Buffer& x, const Buffer& y, double alpha);

/// Mean squared error of the predictions x w against y.
double mean_squared_error(const Buffer& x, const Buffer& y, const std::vector<double>& w);

}  // namespace tessera::kernels
