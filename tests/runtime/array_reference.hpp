#pragma once
// Serial, obviously-correct versions of array operations (plain loops over doubles), the
// reference every distributed array operation is tested against.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <vector>

#include "tessera/array.hpp"
#include "tessera/kernels/dispatch.hpp"

namespace reference {

using tessera::Buffer;
using tessera::Shape;

struct Ref {
    Shape shape;
    std::vector<double> v;
    std::int64_t size() const { return static_cast<std::int64_t>(v.size()); }
};

inline std::vector<std::int64_t> strides(const Shape& s) {
    std::vector<std::int64_t> st(s.size(), 1);
    for (std::int64_t d = static_cast<std::int64_t>(s.size()) - 2; d >= 0; --d)
        st[d] = st[d + 1] * s[d + 1];
    return st;
}

inline std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& s) {
    std::vector<std::int64_t> idx(s.size());
    for (std::size_t d = s.size(); d-- > 0;) {
        idx[d] = flat % s[d];
        flat /= s[d];
    }
    return idx;
}

inline Ref of(const Buffer& b) {
    Ref r{b.shape(), std::vector<double>(static_cast<std::size_t>(b.size()))};
    tessera::kernels::visit_dtype(b.dtype(), [&](auto t) {
        const auto* p = b.data<decltype(t)>();
        for (std::int64_t i = 0; i < b.size(); ++i)
            r.v[static_cast<std::size_t>(i)] = static_cast<double>(p[i]);
    });
    return r;
}

inline Ref iota(const Shape& s, double scale = 1.0, double shift = 0.0) {
    Ref r{s, std::vector<double>(static_cast<std::size_t>(tessera::kernels::shape_size(s)))};
    for (std::size_t i = 0; i < r.v.size(); ++i)
        r.v[i] = shift + scale * static_cast<double>((i * 7919) % 1009) / 100.0;
    return r;
}

inline Buffer to_buffer(const Ref& r, tessera::DType dtype = tessera::DType::kFloat64) {
    Buffer b(dtype, r.shape);
    tessera::kernels::visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        for (std::int64_t i = 0; i < b.size(); ++i)
            b.data<T>()[i] = static_cast<T>(r.v[static_cast<std::size_t>(i)]);
    });
    return b;
}

inline Ref binary(const Ref& a, const Ref& b, const std::function<double(double, double)>& f) {
    const std::size_t nd = std::max(a.shape.size(), b.shape.size());
    Shape s(nd, 1);
    auto pad = [&](const Shape& x) {
        Shape p(nd - x.size(), 1);
        p.insert(p.end(), x.begin(), x.end());
        return p;
    };
    const Shape pa = pad(a.shape), pb = pad(b.shape);
    for (std::size_t d = 0; d < nd; ++d) s[d] = std::max(pa[d], pb[d]);
    Ref r{s, std::vector<double>(static_cast<std::size_t>(tessera::kernels::shape_size(s)))};
    const auto sa = strides(pa), sb = strides(pb);
    for (std::int64_t i = 0; i < r.size(); ++i) {
        const auto idx = unravel(i, s);
        std::int64_t ia = 0, ib = 0;
        for (std::size_t d = 0; d < nd; ++d) {
            ia += (pa[d] == 1 ? 0 : idx[d]) * sa[d];
            ib += (pb[d] == 1 ? 0 : idx[d]) * sb[d];
        }
        r.v[static_cast<std::size_t>(i)] =
            f(a.v[static_cast<std::size_t>(ia)], b.v[static_cast<std::size_t>(ib)]);
    }
    return r;
}

inline Ref unary(const Ref& a, const std::function<double(double)>& f) {
    Ref r = a;
    for (auto& x : r.v) x = f(x);
    return r;
}

/// Reduction over the axes in `mask` (all when 0) with an accumulator over the values.
inline Ref reduce(const Ref& a, std::uint64_t mask,
                  const std::function<double(const std::vector<double>&)>& f,
                  bool keepdims = false) {
    if (mask == 0) mask = (1ull << a.shape.size()) - 1;
    Shape kept, full;
    for (std::size_t d = 0; d < a.shape.size(); ++d) {
        const bool r = mask >> d & 1;
        full.push_back(r ? 1 : a.shape[d]);
        if (!r)
            kept.push_back(a.shape[d]);
        else if (keepdims)
            kept.push_back(1);
    }
    std::vector<std::vector<double>> groups(
        static_cast<std::size_t>(tessera::kernels::shape_size(full)));
    const auto fs = strides(full);
    for (std::int64_t i = 0; i < a.size(); ++i) {
        const auto idx = unravel(i, a.shape);
        std::int64_t o = 0;
        for (std::size_t d = 0; d < idx.size(); ++d) o += (mask >> d & 1 ? 0 : idx[d]) * fs[d];
        groups[static_cast<std::size_t>(o)].push_back(a.v[static_cast<std::size_t>(i)]);
    }
    Ref r{kept, {}};
    for (const auto& g : groups) r.v.push_back(f(g));
    return r;
}

inline double sum(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0); }
inline double mean(const std::vector<double>& x) { return sum(x) / static_cast<double>(x.size()); }
inline double var(const std::vector<double>& x, double ddof = 0) {
    const double m = mean(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return s / (static_cast<double>(x.size()) - ddof);
}

inline Ref transpose(const Ref& a, std::vector<int> perm = {}) {
    const std::size_t nd = a.shape.size();
    if (perm.empty())
        for (int d = static_cast<int>(nd) - 1; d >= 0; --d) perm.push_back(d);
    Shape s(nd);
    for (std::size_t d = 0; d < nd; ++d) s[d] = a.shape[static_cast<std::size_t>(perm[d])];
    Ref r{s, std::vector<double>(a.v.size())};
    const auto sa = strides(a.shape);
    for (std::int64_t i = 0; i < r.size(); ++i) {
        const auto idx = unravel(i, s);
        std::int64_t src = 0;
        for (std::size_t d = 0; d < nd; ++d) src += idx[d] * sa[static_cast<std::size_t>(perm[d])];
        r.v[static_cast<std::size_t>(i)] = a.v[static_cast<std::size_t>(src)];
    }
    return r;
}

inline Ref matmul(const Ref& a, const Ref& b) {
    const auto n = a.shape[0], k = a.shape[1], m = b.shape[1];
    Ref r{{n, m}, std::vector<double>(static_cast<std::size_t>(n * m), 0.0)};
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t p = 0; p < k; ++p)
            for (std::int64_t j = 0; j < m; ++j)
                r.v[static_cast<std::size_t>(i * m + j)] +=
                    a.v[static_cast<std::size_t>(i * k + p)] *
                    b.v[static_cast<std::size_t>(p * m + j)];
    return r;
}

inline void expect_near(const Buffer& got, const Ref& want, double rtol = 1e-12,
                        double atol = 1e-12) {
    ASSERT_EQ(got.shape(), want.shape);
    const Ref g = of(got);
    for (std::size_t i = 0; i < g.v.size(); ++i) {
        if (std::isnan(want.v[i])) {
            EXPECT_TRUE(std::isnan(g.v[i])) << "element " << i;
            continue;
        }
        ASSERT_NEAR(g.v[i], want.v[i], atol + rtol * std::abs(want.v[i])) << "element " << i;
    }
}

}  // namespace reference
