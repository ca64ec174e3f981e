#include "tessera/kernels/linear_model.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

namespace {

void require_matrix(const Buffer& x, const char* what) {
    if (x.dtype() != DType::kFloat64 || x.shape().size() != 2)
        throw ValueError(std::string(what) + ": expected a 2-d float64 buffer");
}

void require_targets(const Buffer& x, const Buffer& y, const char* what) {
    require_matrix(x, what);
    if (y.dtype() != DType::kFloat64 || y.shape().size() != 1 || y.shape()[0] != x.shape()[0])
        throw ValueError(std::string(what) + ": y must be float64 of shape (" +
                         std::to_string(x.shape()[0]) + ",)");
}

}  // namespace

ColumnScaling column_scaling(const Buffer& x) {
    require_matrix(x, "column_scaling");
    const std::int64_t n = x.shape()[0], p = x.shape()[1];
    const double* a = x.data<double>();
    ColumnScaling s{std::vector<double>(p, 0.0), std::vector<double>(p, 1.0)};
    // Two passes (mean, then squared deviations) keep the variance accurate for offset data.
#pragma omp parallel for schedule(static)
    for (std::int64_t j = 0; j < p; ++j) {
        double sum = 0.0;
        for (std::int64_t i = 0; i < n; ++i) sum += a[i * p + j];
        const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
        double m2 = 0.0;
        for (std::int64_t i = 0; i < n; ++i) {
            const double d = a[i * p + j] - mean;
            m2 += d * d;
        }
        const double sd = n > 0 ? std::sqrt(m2 / static_cast<double>(n)) : 0.0;
        s.mean[j] = mean;
        s.stddev[j] = sd > 0.0 ? sd : 1.0;
    }
    return s;
}

ColumnScaling column_scaling_reference(const Buffer& x) {
    require_matrix(x, "column_scaling_reference");
    const std::int64_t n = x.shape()[0], p = x.shape()[1];
    const double* a = x.data<double>();
    ColumnScaling s{std::vector<double>(p, 0.0), std::vector<double>(p, 1.0)};
    for (std::int64_t j = 0; j < p; ++j) {
        double sum = 0.0;
        for (std::int64_t i = 0; i < n; ++i) sum += a[i * p + j];
        s.mean[j] = n > 0 ? sum / static_cast<double>(n) : 0.0;
        double m2 = 0.0;
        for (std::int64_t i = 0; i < n; ++i)
            m2 += (a[i * p + j] - s.mean[j]) * (a[i * p + j] - s.mean[j]);
        const double sd = n > 0 ? std::sqrt(m2 / static_cast<double>(n)) : 0.0;
        s.stddev[j] = sd > 0.0 ? sd : 1.0;
    }
    return s;
}

Buffer standardize(const Buffer& x, const ColumnScaling& scaling) {
    require_matrix(x, "standardize");
    const std::int64_t n = x.shape()[0], p = x.shape()[1];
    if (static_cast<std::int64_t>(scaling.mean.size()) != p ||
        static_cast<std::int64_t>(scaling.stddev.size()) != p)
        throw ValueError("standardize: scaling has " + std::to_string(scaling.mean.size()) +
                         " columns, x has " + std::to_string(p));
    Buffer out(DType::kFloat64, x.shape());
    const double* a = x.data<double>();
    double* b = out.data<double>();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < p; ++j)
            b[i * p + j] = (a[i * p + j] - scaling.mean[j]) / scaling.stddev[j];
    return out;
}

std::vector<double> ridge_fit(const Buffer& x, const Buffer& y, double alpha) {
    require_targets(x, y, "ridge_fit");
    const auto n = static_cast<int>(x.shape()[0]), p = static_cast<int>(x.shape()[1]);
    std::vector<double> gram(static_cast<std::size_t>(p) * p, 0.0);
    std::vector<double> w(p, 0.0);
    if (p == 0) return w;
    // gram = x^T x (upper triangle), w = x^T y
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, p, n, 1.0, x.data<double>(), p, 0.0,
                gram.data(), p);
    cblas_dgemv(CblasRowMajor, CblasTrans, n, p, 1.0, x.data<double>(), p, y.data<double>(), 1, 0.0,
                w.data(), 1);
    for (int j = 0; j < p; ++j) gram[static_cast<std::size_t>(j) * p + j] += alpha;
    const lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', p, 1, gram.data(), p, w.data(), 1);
    if (info != 0)
        throw ValueError("ridge_fit: normal equations not positive definite (alpha=" +
                         std::to_string(alpha) + ", LAPACK info " + std::to_string(info) + ")");
    return w;
}

double mean_squared_error(const Buffer& x, const Buffer& y, const std::vector<double>& w) {
    require_targets(x, y, "mean_squared_error");
    const std::int64_t n = x.shape()[0], p = x.shape()[1];
    if (static_cast<std::int64_t>(w.size()) != p)
        throw ValueError("mean_squared_error: w has " + std::to_string(w.size()) +
                         " weights, x has " + std::to_string(p) + " columns");
    const double* a = x.data<double>();
    const double* t = y.data<double>();
    double sse = 0.0;
#pragma omp parallel for reduction(+ : sse) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        double pred = 0.0;
        for (std::int64_t j = 0; j < p; ++j) pred += a[i * p + j] * w[j];
        sse += (pred - t[i]) * (pred - t[i]);
    }
    return n > 0 ? sse / static_cast<double>(n) : 0.0;
}

}  // namespace tessera::kernels
