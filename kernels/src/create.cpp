#include "tessera/kernels/create.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <numbers>
#include <stdexcept>
#include <type_traits>

#include "tessera/kernels/dispatch.hpp"
#include "tessera/kernels/error.hpp"
#include "tessera/kernels/philox.hpp"

namespace tessera::kernels {

Buffer fill_block(DType dtype, const Shape& shape, double value) {
    Buffer b(dtype, shape);
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        std::fill_n(b.data<T>(), b.size(), static_cast<T>(value));
    });
    return b;
}

Buffer arange_block(DType dtype, std::int64_t offset, std::int64_t length, double start,
                    double step) {
    Buffer b(dtype, {length});
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = b.data<T>();
        for (std::int64_t i = 0; i < length; ++i)
            o[i] = static_cast<T>(start + step * static_cast<double>(offset + i));
    });
    return b;
}

Buffer linspace_block(DType dtype, std::int64_t offset, std::int64_t length, double start,
                      double stop, std::int64_t num, bool endpoint) {
    const double div = static_cast<double>(endpoint ? num - 1 : num);
    const double step = div > 0 ? (stop - start) / div : 0.0;
    Buffer b(dtype, {length});
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = b.data<T>();
        for (std::int64_t i = 0; i < length; ++i) {
            const std::int64_t g = offset + i;
            o[i] = static_cast<T>((endpoint && g == num - 1 && num > 1)
                                      ? stop
                                      : start + step * static_cast<double>(g));
        }
    });
    return b;
}

Buffer eye_block(DType dtype, const Shape& shape, const std::vector<std::int64_t>& offset,
                 std::int64_t k) {
    if (shape.size() != 2) throw ValueError("eye blocks are 2-d");
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

/// (w >> 11) * 2^-53, in [0, 1). Written as two exact halves (an unsigned 32-bit and a 21-bit
/// integer made doubles by the 2^52 exponent trick) so that loops over it vectorise: x86 has
/// no vector conversion of 64-bit integers before AVX-512DQ. The sum is exact, so the value is
/// the same bit for bit as the plain conversion.
inline double unit(std::uint64_t w) {
    constexpr std::uint64_t kExponent52 = 0x4330000000000000;
    const double hi = std::bit_cast<double>(kExponent52 | (w >> 32)) - 0x1p52;
    const double lo = std::bit_cast<double>(kExponent52 | ((w >> 11) & 0x1FFFFF)) - 0x1p52;
    return hi * 0x1p-32 + lo * 0x1p-53;
}

/// The Philox counter of global element g: uniform and integer draws take one 64-bit word each,
/// so one counter serves the element pair (2m, 2m + 1); normal draws take both words of counter g.
constexpr std::uint64_t counter_of(Distribution dist, std::uint64_t g) {
    return dist == Distribution::kNormal ? g : g / 2;
}

double from_words(Distribution dist, std::uint64_t w0, std::uint64_t w1, std::uint64_t word,
                  double a, double b) {
    switch (dist) {
        case Distribution::kUniform:
            return a + (b - a) * unit(word);
        case Distribution::kNormal:  // Box-Muller; 1 - u keeps the log finite
            return a + b * std::sqrt(-2.0 * std::log(1.0 - unit(w0))) *
                           std::cos(2.0 * std::numbers::pi * unit(w1));
        default: {  // Lemire's multiply-shift: an index in [0, range)
            const auto range = static_cast<std::uint64_t>(b - a);
            return a + static_cast<double>(static_cast<std::uint64_t>(
                           (static_cast<unsigned __int128>(word) * range) >> 64));
        }
    }
}

}  // namespace

double random_value(Distribution dist, std::uint64_t seed, std::uint64_t g, double a, double b,
                    PhiloxCache& cache) {
    const std::uint64_t c = counter_of(dist, g);
    if (c != cache.counter) {
        cache.counter = c;
        philox_pair(seed, c, cache.words[0], cache.words[1]);
    }
    return from_words(dist, cache.words[0], cache.words[1], cache.words[g & 1], a, b);
}

namespace {

/// a + scale * unit(w[k]) for n words: the uniform float64 draws, built for AVX-512, AVX2 and
/// baseline x86-64 (the kernels are compiled with -ffp-contract=off, so every build rounds
/// the same way and the values do not depend on the machine).
__attribute__((target_clones("avx512f", "avx2", "default"))) void uniform_doubles(
    const std::uint64_t* w, std::int64_t n, double a, double scale, double* out) {
    for (std::int64_t k = 0; k < n; ++k) out[k] = a + scale * unit(w[k]);
}

/// The n random numbers of a batch's words: uniform and integer draws take one word each,
/// normal draws the two words of one counter.
template <class T>
void values_of_words(Distribution dist, const std::uint64_t* w, std::int64_t n, double a, double b,
                     T* out) {
    if (dist == Distribution::kUniform) {
        if constexpr (std::is_same_v<T, double>) {
            uniform_doubles(w, n, a, b - a, out);
        } else {
            const double scale = b - a;
            for (std::int64_t k = 0; k < n; ++k) out[k] = static_cast<T>(a + scale * unit(w[k]));
        }
    } else if (dist == Distribution::kIntegers) {
        for (std::int64_t k = 0; k < n; ++k)
            out[k] = static_cast<T>(from_words(dist, 0, 0, w[k], a, b));
    } else {
        for (std::int64_t k = 0; k < n; ++k)
            out[k] = static_cast<T>(from_words(dist, w[2 * k], w[2 * k + 1], 0, a, b));
    }
}

/// The random numbers of `count` consecutive global indices from g into `out`: their Philox
/// counters are consecutive too, made kPhiloxBatch at a time (uniform and integer draws take one
/// word each, so element e is word e - 2 * first of the batch; normal draws take both words of
/// counter e).
template <class T>
void random_run(Distribution dist, std::uint64_t seed, std::uint64_t g, std::int64_t count,
                double a, double b, T* out) {
    alignas(64) std::uint64_t words[2 * kPhiloxBatch];
    const bool pairs = dist != Distribution::kNormal;
    const std::int64_t per_counter = pairs ? 2 : 1;
    while (count > 0) {
        const std::uint64_t first = counter_of(dist, g);
        const auto skip = static_cast<std::int64_t>(pairs ? g - 2 * first : 0);
        const std::int64_t n = std::min<std::int64_t>(count, per_counter * kPhiloxBatch - skip);
        philox_batch(seed, first, static_cast<int>((skip + n + per_counter - 1) / per_counter),
                     words);
        values_of_words(dist, words + skip, n, a, b, out);
        g += static_cast<std::uint64_t>(n);
        out += n;
        count -= n;
    }
}

/// Where a block's rows start in the global array: the flat global index of row r's first element.
struct RowOrigins {
    RowOrigins(const Shape& global_shape, const std::vector<std::int64_t>& offset,
               const Shape& shape)
        : offset_(offset), shape_(shape), stride_(shape.size(), 1) {
        if (offset.size() != shape.size() || global_shape.size() != shape.size())
            throw ValueError("random numbers: offset and shapes must have the same rank");
        for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 2; d >= 0; --d)
            stride_[d] = stride_[d + 1] * global_shape[d + 1];
    }
    std::uint64_t operator()(std::int64_t r) const {
        const std::size_t nd = shape_.size();
        std::int64_t rem = r, g = nd ? offset_[nd - 1] : 0;
        for (std::int64_t d = static_cast<std::int64_t>(nd) - 2; d >= 0; --d) {
            g += (offset_[d] + rem % shape_[d]) * stride_[d];
            rem /= shape_[d];
        }
        return static_cast<std::uint64_t>(g);
    }

private:
    const std::vector<std::int64_t>& offset_;
    const Shape& shape_;
    std::vector<std::int64_t> stride_;
};

void check_range(Distribution dist, double a, double b) {
    if (dist == Distribution::kIntegers && !(b > a))
        throw ValueError("random integers need high > low");
}

}  // namespace

Buffer random_block(Distribution dist, std::uint64_t seed, DType dtype, const Shape& global_shape,
                    const std::vector<std::int64_t>& offset, const Shape& shape, double a,
                    double b) {
    check_range(dist, a, b);
    const RowOrigins origin(global_shape, offset, shape);
    Buffer out(dtype, shape);
    const std::int64_t last = shape.empty() ? 1 : shape.back();
    const std::int64_t rows = last ? out.size() / last : 0;
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = out.data<T>();
#pragma omp parallel for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r)
            random_run(dist, seed, origin(r), last, a, b, o + r * last);
    });
    return out;
}

void random_range(Distribution dist, std::uint64_t seed, DType dtype, const Shape& global_shape,
                  const std::vector<std::int64_t>& offset, const Shape& shape, double a, double b,
                  std::int64_t start, std::int64_t count, std::byte* out) {
    check_range(dist, a, b);
    const RowOrigins origin(global_shape, offset, shape);
    const std::int64_t last = shape.empty() ? 1 : shape.back();
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        T* o = reinterpret_cast<T*>(out);
        for (std::int64_t at = start, end = start + count; at < end;) {  // row by row
            const std::int64_t r = at / last, j = at - r * last, n = std::min(last - j, end - at);
            random_run(dist, seed, origin(r) + static_cast<std::uint64_t>(j), n, a, b,
                       o + (at - start));
            at += n;
        }
    });
}

void random_range_transposed(Distribution dist, std::uint64_t seed, DType dtype,
                             const Shape& global_shape, const std::vector<std::int64_t>& offset,
                             const Shape& shape, double a, double b, std::int64_t start,
                             std::int64_t count, std::byte* out) {
    check_range(dist, a, b);
    if (shape.size() != 2 || global_shape.size() != 2 || offset.size() != 2)
        throw ValueError("random numbers: a transposed range is of a 2-d block");
    if (count <= 0) return;
    // The range lies in a band of the transpose's rows [row0, row0 + rows), which are block
    // columns: in each block row, a run of `rows` consecutive elements, whose Philox counters
    // are consecutive too. The runs of many block rows are drawn in one batch of counters and
    // scattered to the band's columns.
    const std::int64_t columns = shape[0], row0 = start / columns,
                       rows = (start + count - 1) / columns - row0 + 1;
    const bool pairs = dist != Distribution::kNormal;  // two elements per counter, as in random_run
    const auto run_start = [&](std::int64_t c) {
        return static_cast<std::uint64_t>((offset[0] + c) * global_shape[1] + offset[1] + row0);
    };
    visit_dtype(dtype, [&](auto t) {
        using T = decltype(t);
        const bool whole_rows = start == row0 * columns && count == rows * columns;
        const std::unique_ptr<T[]> scratch(
            whole_rows ? nullptr : new T[static_cast<std::size_t>(rows * columns)]);
        T* band = whole_rows ? reinterpret_cast<T*>(out) : scratch.get();
        alignas(64) std::uint64_t counters[kPhiloxBatch], words[2 * kPhiloxBatch];
        alignas(64) T values[2 * kPhiloxBatch];
        std::int64_t first_value[kPhiloxBatch];  // where each run of the batch starts in `values`
        std::unique_ptr<T[]> long_run;
        for (std::int64_t batch = 0; batch < columns;) {  // block rows [batch, end) per batch
            int n = 0;
            std::int64_t end = batch;
            for (; end < columns; ++end) {
                const std::uint64_t g = run_start(end);
                const std::uint64_t lo = counter_of(dist, g), hi = counter_of(dist, g + rows - 1);
                if (n + static_cast<std::int64_t>(hi - lo + 1) > kPhiloxBatch) break;
                first_value[end - batch] =
                    pairs ? 2 * std::int64_t{n} + static_cast<std::int64_t>(g - 2 * lo) : n;
                for (std::uint64_t u = lo; u <= hi; ++u) counters[n++] = u;
            }
            if (end == batch) {  // a run longer than a batch: drawn as the rows are
                if (!long_run) long_run.reset(new T[static_cast<std::size_t>(rows)]);
                random_run(dist, seed, run_start(batch), rows, a, b, long_run.get());
                for (std::int64_t k = 0; k < rows; ++k)
                    band[k * columns + batch] = long_run[static_cast<std::size_t>(k)];
                ++batch;
                continue;
            }
            philox_counters(seed, counters, n, words);
            values_of_words(dist, words, pairs ? 2 * n : n, a, b, values);
            // Row by row of the band, so that the stores are consecutive.
            for (std::int64_t k = 0; k < rows; ++k) {
                T* row = band + k * columns + batch;
                for (std::int64_t j = 0; j < end - batch; ++j) row[j] = values[first_value[j] + k];
            }
            batch = end;
        }
        if (!whole_rows)
            std::copy_n(band + (start - row0 * columns), count, reinterpret_cast<T*>(out));
    });
}

}  // namespace tessera::kernels
