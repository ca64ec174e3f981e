#include "tessera/kernels/block_ops.hpp"

#include <cblas.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "tessera/kernels/dispatch.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

namespace {

std::vector<std::int64_t> strides_of(const Shape& shape) {
    std::vector<std::int64_t> s(shape.size(), 1);
    for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 2; d >= 0; --d)
        s[d] = s[d + 1] * shape[d + 1];
    return s;
}

/// Calls row(src_offset, dst_offset) for the start of every row (last dimension) of an n-d
/// region of extent `extent`; the region must not be empty.
template <class F>
void for_each_row(const Shape& extent, const std::vector<std::int64_t>& src_stride,
                  std::int64_t src0, const std::vector<std::int64_t>& dst_stride, std::int64_t dst0,
                  F&& row) {
    const std::size_t nd = extent.size();
    if (nd == 0) {
        row(src0, dst0);
        return;
    }
    const std::int64_t rows = shape_size(extent) / extent[nd - 1];
    for (std::int64_t r = 0; r < rows; ++r) {
        std::int64_t rem = r, s = src0, d = dst0;
        for (std::int64_t k = static_cast<std::int64_t>(nd) - 2; k >= 0; --k) {
            const std::int64_t i = rem % extent[k];
            rem /= extent[k];
            s += i * src_stride[k];
            d += i * dst_stride[k];
        }
        row(s, d);
    }
}

/// Calls f(src_offset, dst_offset) for every element of an n-d walk, the last dimension inner.
template <class F>
void walk(const Shape& extent, const std::vector<std::int64_t>& src_stride, std::int64_t src0,
          const std::vector<std::int64_t>& dst_stride, std::int64_t dst0, F&& f) {
    if (shape_size(extent) == 0) return;
    const std::size_t nd = extent.size();
    const std::int64_t run = nd ? extent[nd - 1] : 1;
    const std::int64_t ss = nd ? src_stride[nd - 1] : 0, ds = nd ? dst_stride[nd - 1] : 0;
    for_each_row(extent, src_stride, src0, dst_stride, dst0, [&](std::int64_t s, std::int64_t d) {
        for (std::int64_t j = 0; j < run; ++j) f(s + j * ss, d + j * ds);
    });
}

}  // namespace

Buffer transpose_block(const Buffer& in, const std::vector<int>& perm) {
    const Shape& s = in.shape();
    if (perm.size() != s.size()) throw ValueError("transpose: axes do not match the rank");
    Shape out_shape(s.size());
    const auto in_stride = strides_of(s);
    std::vector<std::int64_t> src_stride(s.size());
    for (std::size_t d = 0; d < s.size(); ++d) {
        out_shape[d] = s[static_cast<std::size_t>(perm[d])];
        src_stride[d] = in_stride[static_cast<std::size_t>(perm[d])];
    }
    Buffer out(in.dtype(), out_shape);
    const auto dst_stride = strides_of(out_shape);
    visit_dtype(in.dtype(), [&](auto t) {
        using T = decltype(t);
        const T* a = in.data<T>();
        T* o = out.data<T>();
        // 2-d: cache-blocked, so both sides stream through tiles that fit in L1.
        if (s.size() == 2 && perm[0] == 1) {
            constexpr std::int64_t kB = 32;
            const std::int64_t n = s[0], m = s[1];
#pragma omp parallel for schedule(static)
            for (std::int64_t ii = 0; ii < n; ii += kB)
                for (std::int64_t jj = 0; jj < m; jj += kB)
                    for (std::int64_t i = ii; i < std::min(ii + kB, n); ++i)
                        for (std::int64_t j = jj; j < std::min(jj + kB, m); ++j)
                            o[j * n + i] = a[i * m + j];
            return;
        }
        walk(out_shape, src_stride, 0, dst_stride, 0,
             [&](std::int64_t si, std::int64_t di) { o[di] = a[si]; });
    });
    return out;
}

Buffer slice_block(const Buffer& in, const std::vector<std::int64_t>& start,
                   const std::vector<std::int64_t>& step, const Shape& out_shape) {
    const Shape& s = in.shape();
    if (start.size() != s.size() || step.size() != s.size() || out_shape.size() != s.size())
        throw ValueError("slice_block: rank mismatch");
    const auto in_stride = strides_of(s);
    std::vector<std::int64_t> src_stride(s.size());
    std::int64_t src0 = 0;
    for (std::size_t d = 0; d < s.size(); ++d) {
        if (out_shape[d] > 0) {
            const std::int64_t lastidx = start[d] + step[d] * (out_shape[d] - 1);
            if (start[d] < 0 || start[d] >= s[d] || lastidx < 0 || lastidx >= s[d])
                throw ValueError("slice_block: slice outside the block");
        }
        src_stride[d] = in_stride[d] * step[d];
        src0 += start[d] * in_stride[d];
    }
    Buffer out(in.dtype(), out_shape);
    const auto dst_stride = strides_of(out_shape);
    visit_dtype(in.dtype(), [&](auto t) {
        using T = decltype(t);
        const T* a = in.data<T>();
        T* o = out.data<T>();
        walk(out_shape, src_stride, src0, dst_stride, 0,
             [&](std::int64_t si, std::int64_t di) { o[di] = a[si]; });
    });
    return out;
}

void copy_region(const Buffer& src, const std::vector<std::int64_t>& src_start, Buffer& dst,
                 const std::vector<std::int64_t>& dst_start, const Shape& extent) {
    if (src.dtype() != dst.dtype()) throw ValueError("copy_region: dtypes differ");
    copy_region(dtype_size(src.dtype()), src.bytes(), src.shape(), src_start, dst.bytes(),
                dst.shape(), dst_start, extent);
}

void copy_region(std::size_t element, const std::byte* src, const Shape& src_shape,
                 const std::vector<std::int64_t>& src_start, std::byte* dst, const Shape& dst_shape,
                 const std::vector<std::int64_t>& dst_start, const Shape& extent) {
    const std::size_t nd = extent.size();
    if (src_shape.size() != nd || dst_shape.size() != nd || src_start.size() != nd ||
        dst_start.size() != nd)
        throw ValueError("copy_region: rank mismatch");
    for (std::size_t d = 0; d < nd; ++d)
        if (src_start[d] < 0 || dst_start[d] < 0 || extent[d] < 0 ||
            src_start[d] + extent[d] > src_shape[d] || dst_start[d] + extent[d] > dst_shape[d])
            throw ValueError("copy_region: region outside a block");
    if (shape_size(extent) == 0) return;
    const auto ss = strides_of(src_shape), ds = strides_of(dst_shape);
    std::int64_t s0 = 0, d0 = 0;
    for (std::size_t d = 0; d < nd; ++d) {
        s0 += src_start[d] * ss[d];
        d0 += dst_start[d] * ds[d];
    }
    // Whole contiguous rows at a time.
    const auto e = static_cast<std::int64_t>(element);
    const std::int64_t run = nd ? extent[nd - 1] : 1;
    for_each_row(extent, ss, s0, ds, d0, [&](std::int64_t so, std::int64_t dof) {
        std::memcpy(dst + dof * e, src + so * e, static_cast<std::size_t>(run * e));
    });
}

namespace {

void check_product_dtypes(const Buffer& a, const Buffer& b, const Buffer& c) {
    if (a.shape().size() != 2 || b.shape().size() != 2 || c.shape().size() != 2)
        throw ValueError("matmul blocks must be 2-d");
    if (a.dtype() != b.dtype() || a.dtype() != c.dtype()) throw ValueError("matmul: dtypes differ");
}

}  // namespace

void matmul_accumulate(const Buffer& a, const Buffer& b, Buffer& c, bool b_transposed) {
    check_product_dtypes(a, b, c);
    const std::int64_t n = a.shape()[0], k = a.shape()[1];
    const std::int64_t bk = b.shape()[b_transposed ? 1 : 0], m = b.shape()[b_transposed ? 0 : 1];
    if (bk != k || c.shape()[0] != n || c.shape()[1] != m)
        throw ValueError("matmul: shapes (" + std::to_string(n) + "," + std::to_string(k) +
                         ") and (" + std::to_string(bk) + "," + std::to_string(m) +
                         ") are not aligned");
    if (n == 0 || m == 0 || k == 0) return;
    const auto N = static_cast<int>(n), K = static_cast<int>(k), M = static_cast<int>(m);
    const auto tb = b_transposed ? CblasTrans : CblasNoTrans;
    const int ldb = b_transposed ? K : M;
    switch (a.dtype()) {
        case DType::kFloat64:
            cblas_dgemm(CblasRowMajor, CblasNoTrans, tb, N, M, K, 1.0, a.data<double>(), K,
                        b.data<double>(), ldb, 1.0, c.data<double>(), M);
            return;
        case DType::kFloat32:
            cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, N, M, K, 1.0f, a.data<float>(), K,
                        b.data<float>(), ldb, 1.0f, c.data<float>(), M);
            return;
        default:
            visit_dtype(a.dtype(), [&](auto t) {
                using T = decltype(t);
                const T* x = a.data<T>();
                const T* y = b.data<T>();
                T* z = c.data<T>();
                // y[p, j] of the product's right operand, wherever it is stored.
                const std::int64_t ps = b_transposed ? 1 : m, js = b_transposed ? k : 1;
#pragma omp parallel for schedule(static)
                for (std::int64_t i = 0; i < n; ++i)
                    for (std::int64_t p = 0; p < k; ++p)
                        for (std::int64_t j = 0; j < m; ++j)
                            z[i * m + j] =
                                static_cast<T>(z[i * m + j] + x[i * k + p] * y[p * ps + j * js]);
            });
    }
}

void gram_accumulate(const Buffer& a, Buffer& c) {
    check_product_dtypes(a, a, c);
    const std::int64_t n = a.shape()[0], k = a.shape()[1];
    if (c.shape()[0] != n || c.shape()[1] != n)
        throw ValueError("gram: a (" + std::to_string(n) + "," + std::to_string(k) +
                         ") block makes a square block of " + std::to_string(n));
    if (n == 0 || k == 0) return;
    const auto N = static_cast<int>(n), K = static_cast<int>(k);
    switch (a.dtype()) {
        case DType::kFloat64:
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, N, K, 1.0, a.data<double>(), K,
                        1.0, c.data<double>(), N);
            return;
        case DType::kFloat32:
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, N, K, 1.0f, a.data<float>(), K,
                        1.0f, c.data<float>(), N);
            return;
        default:
            visit_dtype(a.dtype(), [&](auto t) {
                using T = decltype(t);
                const T* x = a.data<T>();
                T* z = c.data<T>();
#pragma omp parallel for schedule(dynamic, 16)
                for (std::int64_t i = 0; i < n; ++i)
                    for (std::int64_t p = 0; p < k; ++p)
                        for (std::int64_t j = i; j < n; ++j)
                            z[i * n + j] =
                                static_cast<T>(z[i * n + j] + x[i * k + p] * x[j * k + p]);
            });
    }
}

void mirror_upper_triangle(Buffer& c) {
    if (c.shape().size() != 2 || c.shape()[0] != c.shape()[1])
        throw ValueError("mirror: the block is not square");
    const std::int64_t n = c.shape()[0];
    visit_dtype(c.dtype(), [&](auto t) {
        using T = decltype(t);
        T* z = c.data<T>();
        for (std::int64_t i = 1; i < n; ++i)
            for (std::int64_t j = 0; j < i; ++j) z[i * n + j] = z[j * n + i];
    });
}

void add_into(Buffer& acc, const Buffer& x) {
    if (acc.shape() != x.shape() || acc.dtype() != x.dtype())
        throw ValueError("add_into: blocks of shape " + shape_text(acc.shape()) + " and " +
                         shape_text(x.shape()) + " do not add");
    visit_dtype(acc.dtype(), [&](auto t) {
        using T = decltype(t);
        T* a = acc.data<T>();
        const T* b = x.data<T>();
        const std::int64_t n = acc.size();
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
        for (std::int64_t i = 0; i < n; ++i) a[i] = static_cast<T>(a[i] + b[i]);
    });
}

Buffer astype(const Buffer& in, DType dtype) {
    if (in.dtype() == dtype) return in;
    Buffer out(dtype, in.shape());
    visit_dtype(in.dtype(), [&](auto f) {
        using From = decltype(f);
        visit_dtype(dtype, [&](auto t) {
            using To = decltype(t);
            const From* a = in.data<From>();
            To* o = out.data<To>();
            for (std::int64_t i = 0; i < in.size(); ++i) o[i] = static_cast<To>(a[i]);
        });
    });
    return out;
}

}  // namespace tessera::kernels
