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

/// Philox4x32-10 of counters first, first + 1, ... (counter = {lo, hi, 0, 0}) for `n` lanes at
/// once, in the layout the compiler vectorises: the same function as philox_words (Random123
/// is its reference in the tests), built for AVX-512, AVX2 and baseline x86-64 and picked at
/// load time.
constexpr int kLanes = 256;
__attribute__((target_clones("avx512f", "avx2", "default"))) void philox_lanes(std::uint64_t seed, std::uint64_t first, int n,
                                                                             std::uint64_t* w0, std::uint64_t* w1) {
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
    alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int i = 0; i < n; ++i) {
        const std::uint64_t c = first + static_cast<std::uint64_t>(i);
        c0[i] = static_cast<std::uint32_t>(c);
        c1[i] = static_cast<std::uint32_t>(c >> 32);
        c2[i] = 0;
        c3[i] = 0;
    }
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += kW0;
            k1 += kW1;
        }
        for (int i = 0; i < n; ++i) {
            const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0[i];
            const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2[i];
            const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[i] ^ k0;
            const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[i] ^ k1;
            c1[i] = static_cast<std::uint32_t>(p1);
            c3[i] = static_cast<std::uint32_t>(p0);
            c0[i] = n0;
            c2[i] = n2;
        }
    }
    for (int i = 0; i < n; ++i) {
        w0[i] = (static_cast<std::uint64_t>(c0[i]) << 32) | c1[i];
        w1[i] = (static_cast<std::uint64_t>(c2[i]) << 32) | c3[i];
    }
}

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
            // random_value for a run of consecutive elements: their Philox counters are
            // consecutive too (pairs for uniform and integer draws), made kLanes at a time.
            alignas(64) std::uint64_t w0[kLanes], w1[kLanes];
            const bool pairs = dist != Distribution::kNormal;
            std::int64_t j = 0;
            while (j < last) {
                const auto g = static_cast<std::uint64_t>(g0 + j);
                const std::uint64_t first = pairs ? g / 2 : g;
                const std::uint64_t last_counter = pairs ? static_cast<std::uint64_t>(g0 + last - 1) / 2
                                                         : static_cast<std::uint64_t>(g0 + last - 1);
                const int n = static_cast<int>(std::min<std::uint64_t>(kLanes, last_counter - first + 1));
                philox_lanes(seed, first, n, w0, w1);
                for (; j < last; ++j) {
                    const auto e = static_cast<std::uint64_t>(g0 + j);
                    const std::uint64_t i = (pairs ? e / 2 : e) - first;
                    if (i >= static_cast<std::uint64_t>(n)) break;
                    o[r * last + j] = static_cast<T>(from_words(dist, w0[i], w1[i], (e & 1) ? w1[i] : w0[i], a, b));
                }
            }
        }
    });
    return out;
}

}  // namespace tessera::kernels
