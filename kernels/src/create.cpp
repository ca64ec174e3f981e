#include "tessera/kernels/create.hpp"

#include <Random123/philox.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "tessera/kernels/dispatch.hpp"

namespace tessera::kernels {

Buffer fill_block(DType dtype, const Shape& shape, double value) {
    Buffer b(dtype, shape);
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        std::fill_n(b.data<T>(), b.size(), static_cast<T>(value));
    });
    return b;
}

Buffer arange_block(DType dtype, std::int64_t offset, std::int64_t length, double start, double step) {
    Buffer b(dtype, {length});
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = b.data<T>();
        for (std::int64_t i = 0; i < length; ++i) o[i] = static_cast<T>(start + step * static_cast<double>(offset + i));
    });
    return b;
}

Buffer linspace_block(DType dtype, std::int64_t offset, std::int64_t length, double start, double stop,
                      std::int64_t num, bool endpoint) {
    const double div = static_cast<double>(endpoint ? num - 1 : num);
    const double step = div > 0 ? (stop - start) / div : 0.0;
    Buffer b(dtype, {length});
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = b.data<T>();
        for (std::int64_t i = 0; i < length; ++i) {
            const std::int64_t g = offset + i;
            o[i] = static_cast<T>((endpoint && g == num - 1 && num > 1) ? stop : start + step * static_cast<double>(g));
        }
    });
    return b;
}

Buffer eye_block(DType dtype, const Shape& shape, const std::vector<std::int64_t>& offset, std::int64_t k) {
    if (shape.size() != 2) throw std::invalid_argument("eye blocks are 2-d");
    Buffer b = fill_block(dtype, shape, 0.0);
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = b.data<T>();
        for (std::int64_t i = 0; i < shape[0]; ++i) {
            const std::int64_t j = offset[0] + i + k - offset[1];
            if (j >= 0 && j < shape[1]) o[i * shape[1] + j] = static_cast<T>(1);
        }
    });
    return b;
}

namespace {

/// Two 64-bit random words for global element index g.
inline void philox_words(std::uint64_t seed, std::uint64_t g, std::uint64_t& w0, std::uint64_t& w1) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(g), static_cast<std::uint32_t>(g >> 32), 0, 0}};
    r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const auto r = rng(ctr, key);
    w0 = (static_cast<std::uint64_t>(r[0]) << 32) | r[1];
    w1 = (static_cast<std::uint64_t>(r[2]) << 32) | r[3];
}

inline double unit(std::uint64_t w) { return static_cast<double>(w >> 11) * 0x1.0p-53; }  // [0, 1)

}  // namespace

namespace {

double from_words(Distribution dist, std::uint64_t w0, std::uint64_t w1, std::uint64_t word, double a, double b) {
    switch (dist) {
        case Distribution::kUniform: return a + (b - a) * unit(word);
        case Distribution::kNormal:  // Box-Muller; 1 - u keeps the log finite
            return a + b * std::sqrt(-2.0 * std::log(1.0 - unit(w0))) * std::cos(2.0 * std::numbers::pi * unit(w1));
        default: {  // Lemire's multiply-shift: an index in [0, range)
            const auto range = static_cast<std::uint64_t>(b - a);
            return a + static_cast<double>(static_cast<std::uint64_t>((static_cast<unsigned __int128>(word) * range) >> 64));
        }
    }
}

}  // namespace

double random_value(Distribution dist, std::uint64_t seed, std::uint64_t g, double a, double b, PhiloxCache& cache) {
    // Uniform and integer draws take one 64-bit word each: one Philox call serves the element
    // pair (2m, 2m+1). Normal draws take both words of counter g.
    const std::uint64_t c = dist == Distribution::kNormal ? g : g / 2;
    if (c != cache.counter) {
        cache.counter = c;
        philox_words(seed, c, cache.words[0], cache.words[1]);
    }
    return from_words(dist, cache.words[0], cache.words[1], cache.words[g & 1], a, b);
}

Buffer random_block(Distribution dist, std::uint64_t seed, DType dtype, const Shape& global_shape,
                    const std::vector<std::int64_t>& offset, const Shape& shape, double a, double b) {
    if (offset.size() != shape.size() || global_shape.size() != shape.size())
        throw std::invalid_argument("random_block: offset and shapes must have the same rank");
    if (dist == Distribution::kIntegers && !(b > a))
        throw std::invalid_argument("random integers need high > low");
    Buffer out(dtype, shape);
    const std::size_t nd = shape.size();
    const std::int64_t last = nd ? shape[nd - 1] : 1;
    const std::int64_t rows = last ? out.size() / last : 0;
    std::vector<std::int64_t> gstride(nd, 1);
    for (std::int64_t d = static_cast<std::int64_t>(nd) - 2; d >= 0; --d) gstride[d] = gstride[d + 1] * global_shape[d + 1];
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = out.data<T>();
#pragma omp parallel for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            std::int64_t rem = r, g0 = nd ? offset[nd - 1] : 0;
            for (std::int64_t d = static_cast<std::int64_t>(nd) - 2; d >= 0; --d) {
                g0 += (offset[d] + rem % shape[d]) * gstride[d];
                rem /= shape[d];
            }
            PhiloxCache cache;
            for (std::int64_t j = 0; j < last; ++j)
                o[r * last + j] = static_cast<T>(random_value(dist, seed, static_cast<std::uint64_t>(g0 + j), a, b, cache));
        }
    });
    return out;
}

}  // namespace tessera::kernels
