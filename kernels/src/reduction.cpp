#include "tessera/kernels/reduction.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tessera/kernels/dispatch.hpp"
#include "tessera/kernels/elementwise.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

const char* reduction_name(Reduction r) {
    switch (r) {
        case Reduction::kSum:
            return "sum";
        case Reduction::kProd:
            return "prod";
        case Reduction::kMin:
            return "min";
        case Reduction::kMax:
            return "max";
        case Reduction::kMean:
            return "mean";
        case Reduction::kVar:
            return "var";
        case Reduction::kStd:
            return "std";
        case Reduction::kArgmin:
            return "argmin";
        case Reduction::kArgmax:
            return "argmax";
        case Reduction::kAny:
            return "any";
        case Reduction::kAll:
            return "all";
    }
    return "?";
}

int state_components(Reduction r) {
    switch (r) {
        case Reduction::kMean:
        case Reduction::kArgmin:
        case Reduction::kArgmax:
            return 2;
        case Reduction::kVar:
        case Reduction::kStd:
            return 3;
        default:
            return 1;
    }
}

DType state_dtype(const ReduceSpec& s) {
    switch (s.op) {
        case Reduction::kAny:
        case Reduction::kAll:
            return DType::kInt64;
        case Reduction::kSum:
        case Reduction::kProd:
        case Reduction::kMin:
        case Reduction::kMax:
            return is_float(s.input) ? DType::kFloat64 : DType::kInt64;
        default:
            return DType::kFloat64;
    }
}

DType result_dtype(const ReduceSpec& s) {
    switch (s.op) {
        case Reduction::kSum:
        case Reduction::kProd:
            return is_float(s.input) ? s.input : DType::kInt64;
        case Reduction::kMin:
        case Reduction::kMax:
            return s.input;
        case Reduction::kMean:
        case Reduction::kVar:
        case Reduction::kStd:
            return s.input == DType::kFloat32 ? DType::kFloat32 : DType::kFloat64;
        case Reduction::kArgmin:
        case Reduction::kArgmax:
            return DType::kInt64;
        case Reduction::kAny:
        case Reduction::kAll:
            return DType::kBool;
    }
    return DType::kFloat64;
}

namespace {

// One accumulator per reduction; S is the state's scalar type. Each has add(value, index),
// merge(other) and load/store to the state components.
template <class S>
struct Sum {
    S s = 0;
    void add(S x, std::int64_t) { s += x; }
    void merge(const Sum& o) { s += o.s; }
};
template <class S>
struct Prod {
    S p = 1;
    void add(S x, std::int64_t) { p *= x; }
    void merge(const Prod& o) { p *= o.p; }
};
template <class S, bool kMax>
struct Extreme {
    static constexpr S identity() {
        if constexpr (std::is_floating_point_v<S>)
            return kMax ? -std::numeric_limits<S>::infinity() : std::numeric_limits<S>::infinity();
        else
            return kMax ? std::numeric_limits<S>::lowest() : std::numeric_limits<S>::max();
    }
    S v = identity();
    bool seen = false, nan = false;
    void add(S x, std::int64_t) {
        if constexpr (std::is_floating_point_v<S>) {
            if (std::isnan(x)) {
                nan = true;
                return;
            }
        }
        v = kMax ? std::max(v, x) : std::min(v, x);
        seen = true;
    }
    void merge(const Extreme& o) {
        if (o.seen) {
            v = kMax ? std::max(v, o.v) : std::min(v, o.v);
            seen = true;
        }
        nan = nan || o.nan;
    }
};
struct Mean {
    double s = 0, n = 0;
    void add(double x, std::int64_t) {
        s += x;
        n += 1;
    }
    void merge(const Mean& o) {
        s += o.s;
        n += o.n;
    }
};
struct Moments {  // Welford within a group, Chan et al. between groups
    double n = 0, mean = 0, m2 = 0;
    void add(double x, std::int64_t) {
        n += 1;
        const double d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
    }
    void merge(const Moments& o) {
        if (o.n == 0) return;
        if (n == 0) {
            *this = o;
            return;
        }
        const double total = n + o.n, d = o.mean - mean;
        mean += d * o.n / total;
        m2 += o.m2 + d * d * n * o.n / total;
        n = total;
    }
};
template <bool kMax>
struct ArgExtreme {
    double v = std::numeric_limits<double>::quiet_NaN(), index = -1;
    bool nan_seen = false;
    void add(double x, std::int64_t i) {
        if (nan_seen) return;
        if (std::isnan(x)) {
            v = x;
            index = static_cast<double>(i);
            nan_seen = true;
            return;
        }  // NumPy: first NaN wins
        if (index < 0 || (kMax ? x > v : x < v)) {
            v = x;
            index = static_cast<double>(i);
        }
    }
    void merge(const ArgExtreme& o) {
        if (nan_seen || o.index < 0) return;
        if (o.nan_seen || index < 0 || (kMax ? o.v > v : o.v < v))
            *this = o;  // ties keep the earlier
    }
};
struct AnyAll {
    std::int64_t v;
    bool is_any;
    void add(double x, std::int64_t) { v = is_any ? (v || x != 0) : (v && x != 0); }
    void merge(const AnyAll& o) { v = is_any ? (v || o.v) : (v && o.v); }
};

/// Reads the state of an accumulator from component arrays, and writes it back.
template <class Acc, class S>
void store(const Acc& a, S* const* comp, std::int64_t i) {
    if constexpr (std::is_same_v<Acc, Sum<S>>)
        comp[0][i] = a.s;
    else if constexpr (std::is_same_v<Acc, Prod<S>>)
        comp[0][i] = a.p;
    else if constexpr (std::is_same_v<Acc, Extreme<S, true>> ||
                       std::is_same_v<Acc, Extreme<S, false>>) {
        // NaN marks "saw a NaN"; an empty block stores the identity (+-inf).
        if constexpr (std::is_floating_point_v<S>)
            comp[0][i] = a.nan ? std::numeric_limits<S>::quiet_NaN() : a.v;
        else
            comp[0][i] = a.v;
    } else if constexpr (std::is_same_v<Acc, Mean>) {
        comp[0][i] = a.s;
        comp[1][i] = a.n;
    } else if constexpr (std::is_same_v<Acc, Moments>) {
        comp[0][i] = a.n;
        comp[1][i] = a.mean;
        comp[2][i] = a.m2;
    } else if constexpr (std::is_same_v<Acc, ArgExtreme<true>> ||
                         std::is_same_v<Acc, ArgExtreme<false>>) {
        comp[0][i] = a.v;
        comp[1][i] = a.index;
    } else
        comp[0][i] = a.v;
}

template <class Acc, class S>
Acc load(const Acc& init, S* const* comp, std::int64_t i) {
    Acc a = init;
    if constexpr (std::is_same_v<Acc, Sum<S>>)
        a.s = comp[0][i];
    else if constexpr (std::is_same_v<Acc, Prod<S>>)
        a.p = comp[0][i];
    else if constexpr (std::is_same_v<Acc, Extreme<S, true>> ||
                       std::is_same_v<Acc, Extreme<S, false>>) {
        if constexpr (std::is_floating_point_v<S>) {
            if (std::isnan(comp[0][i])) {
                a.nan = true;
            } else {
                a.v = comp[0][i];
                a.seen = true;
            }
        } else {
            a.v = comp[0][i];
            a.seen = true;
        }
    } else if constexpr (std::is_same_v<Acc, Mean>) {
        a.s = comp[0][i];
        a.n = comp[1][i];
    } else if constexpr (std::is_same_v<Acc, Moments>) {
        a.n = comp[0][i];
        a.mean = comp[1][i];
        a.m2 = comp[2][i];
    } else if constexpr (std::is_same_v<Acc, ArgExtreme<true>> ||
                         std::is_same_v<Acc, ArgExtreme<false>>) {
        a.v = comp[0][i];
        a.index = comp[1][i];
        a.nan_seen = a.index >= 0 && std::isnan(a.v);
    } else
        a.v = comp[0][i];
    return a;
}

/// A row's sum in a fixed order, the row arriving in pieces of any length: eight lanes over the
/// row's octets, the last (length % 8) values into lane 0, the lanes added pairwise. The
/// order does not depend on where the pieces are cut (vectorisable, and the same for any
/// tiling of the row).
class LaneSum {
public:
    template <class T, class F>
    void add(const T* x, std::int64_t n, F&& f) {
        std::int64_t j = 0;
        if (carried_ > 0) {  // complete the octet the last piece began
            while (carried_ < 8 && j < n) carry_[carried_++] = f(static_cast<double>(x[j++]));
            if (carried_ < 8) return;
            for (int k = 0; k < 8; ++k) lanes_[k] += carry_[k];
            carried_ = 0;
        }
        // A local copy of the lanes and a counted loop: the compiler keeps the lanes in vector
        // registers.
        double l[8];
        std::copy(lanes_, lanes_ + 8, l);
        const T* octet = x + j;
        const std::int64_t octets = (n - j) / 8;
        for (std::int64_t o = 0; o < octets; ++o, octet += 8)
            for (int k = 0; k < 8; ++k) l[k] += f(static_cast<double>(octet[k]));
        std::copy(l, l + 8, lanes_);
        j += 8 * octets;
        while (j < n) carry_[carried_++] = f(static_cast<double>(x[j++]));
    }
    /// The row's sum; the lanes start again for the next row.
    double finish() {
        for (int k = 0; k < carried_; ++k) lanes_[0] += carry_[k];
        const double* l = lanes_;
        const double total = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        std::fill(lanes_, lanes_ + 8, 0.0);
        carried_ = 0;
        return total;
    }

private:
    double lanes_[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    double carry_[8];
    int carried_ = 0;
};

/// Where row r of a reduction's (view) shape adds its values: its offset in the output.
std::int64_t row_base(const Shape& shape, const std::vector<std::int64_t>& out_stride,
                      std::int64_t r) {
    std::int64_t base = 0;
    for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 2; d >= 0; --d) {
        base += (r % shape[d]) * out_stride[d];
        r /= shape[d];
    }
    return base;
}

/// Sums and counts per output slot of rows [r0, r1), without NaN skipping. `pieces_of(first,
/// count, visit)` calls visit(start, n, values) for consecutive pieces of the flat range
/// [first, first + count): the values can be a fused program's tiles, consumed while in cache.
template <class T, class Pieces>
void sums_of_group(const Pieces& pieces_of, const Shape& shape,
                   const std::vector<std::int64_t>& out_stride, std::int64_t last,
                   bool last_reduced, std::int64_t r0, std::int64_t r1, std::vector<double>& sum,
                   std::vector<double>& count) {
    if (r1 <= r0) return;
    LaneSum lanes;
    pieces_of(r0 * last, (r1 - r0) * last, [&](std::int64_t at, std::int64_t n, const T* values) {
        while (n > 0) {  // split at row ends
            const std::int64_t r = at / last, j = at % last, len = std::min(n, last - j);
            const std::int64_t base = row_base(shape, out_stride, r);
            if (last_reduced) {
                lanes.add(values, len, [](double v) { return v; });
                if (j + len == last) {
                    sum[static_cast<std::size_t>(base)] += lanes.finish();
                    count[static_cast<std::size_t>(base)] += static_cast<double>(last);
                }
            } else {
                double* s = sum.data() + base + j;
                double* c = count.data() + base + j;
                for (std::int64_t k = 0; k < len; ++k) {
                    s[k] += static_cast<double>(values[k]);
                    c[k] += 1.0;
                }
            }
            at += len;
            n -= len;
            values += len;
        }
    });
}

/// Sum or Mean of rows [r0, r1) from their pieces, without NaN skipping.
template <class Acc, class T, class Pieces>
void mean_of_group(const Pieces& pieces_of, const Shape& shape,
                   const std::vector<std::int64_t>& out_stride, std::int64_t last,
                   bool last_reduced, std::int64_t r0, std::int64_t r1, std::vector<Acc>& acc) {
    std::vector<double> sum(acc.size(), 0.0), count(acc.size(), 0.0);
    sums_of_group<T>(pieces_of, shape, out_stride, last, last_reduced, r0, r1, sum, count);
    for (std::size_t i = 0; i < acc.size(); ++i) {
        if constexpr (std::is_same_v<Acc, Mean>)
            acc[i] = Mean{sum[i], count[i]};
        else
            acc[i].s = sum[i];
    }
}

/// Moments of rows [r0, r1) (x points at row r0) without NaN skipping: a pass for the sums and
/// counts, and a second pass for the squared deviations from each slot's mean.
template <class T>
void moments_of_group(const T* x, const Shape& shape, const std::vector<std::int64_t>& out_stride,
                      std::int64_t last, bool last_reduced, std::int64_t r0, std::int64_t r1,
                      std::vector<Moments>& acc) {
    std::vector<double> sum(acc.size(), 0.0), count(acc.size(), 0.0);
    auto whole = [&](std::int64_t first, std::int64_t n, auto&& visit) {
        visit(first, n, x + (first - r0 * last));
    };
    sums_of_group<T>(whole, shape, out_stride, last, last_reduced, r0, r1, sum, count);
    std::vector<double> mean(acc.size()), m2(acc.size(), 0.0);
    for (std::size_t i = 0; i < acc.size(); ++i) mean[i] = count[i] > 0 ? sum[i] / count[i] : 0.0;
    LaneSum lanes;
    for (std::int64_t r = r0; r < r1; ++r) {
        const T* row = x + (r - r0) * last;
        const std::int64_t base = row_base(shape, out_stride, r);
        if (last_reduced) {
            const double m = mean[static_cast<std::size_t>(base)];
            lanes.add(row, last, [m](double v) { return (v - m) * (v - m); });
            m2[static_cast<std::size_t>(base)] += lanes.finish();
        } else {
            const double* mu = mean.data() + base;
            double* q = m2.data() + base;
            for (std::int64_t j = 0; j < last; ++j) {
                const double d = static_cast<double>(row[j]) - mu[j];
                q[j] += d * d;
            }
        }
    }
    for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = Moments{count[i], mean[i], m2[i]};
}

Shape reduced_shape(const Shape& shape, std::uint64_t axes) {
    Shape out = shape;
    for (std::size_t d = 0; d < out.size(); ++d)
        if (axes >> d & 1) out[d] = 1;
    return out;
}

/// Rows (all dims but the last) per group: a fixed number of elements per group, so grouping,
/// and with it the order of every sum, does not depend on the thread count.
constexpr std::int64_t kGroupElements = 1 << 15;

/// `rows_of(first, count, scratch)` gives the `count` elements from flat index `first` of the
/// block (pointing into the block, or evaluated into `scratch`); `pieces_of(first, count,
/// visit)` hands the same elements to visit(start, n, values) in consecutive pieces.
template <class Acc, class S, class T, class Rows, class Pieces>
Buffer reduce_typed(const ReduceSpec& spec, const Shape& shape, const Rows& rows_of,
                    const Pieces& pieces_of, const std::vector<std::int64_t>& offset,
                    const Shape& global_shape, const Acc& init) {
    const std::size_t nd = shape.size();
    const Shape out_block = reduced_shape(shape, spec.axes);
    const std::int64_t out_n = shape_size(out_block);
    const int k = state_components(spec.op);
    Shape state_shape{k};
    state_shape.insert(state_shape.end(), out_block.begin(), out_block.end());
    Buffer state(state_dtype(spec), state_shape);
    S* comp[3];
    for (int c = 0; c < k; ++c) comp[c] = state.data<S>() + c * out_n;

    // A block that reduces to one value is walked as rows of a fixed length when its own rows
    // are long (a 1-d block is a single row): the groups then run in parallel, and a fused
    // program evaluates cache-sized pieces. Fixed lengths keep results the same for any number
    // of threads. (Not for argmin/argmax, whose indices follow the block's own shape.)
    Shape view = shape;
    constexpr bool is_arg =
        std::is_same_v<Acc, ArgExtreme<true>> || std::is_same_v<Acc, ArgExtreme<false>>;
    if (!is_arg && out_n == 1 && nd && shape[nd - 1] > kGroupElements) {
        const std::int64_t n = shape_size(shape);
        for (std::int64_t length = kGroupElements / 4; length >= 1024; --length)
            if (n % length == 0) {
                view = {n / length, length};
                break;
            }
    }
    const std::int64_t last = nd ? view.back() : 1;
    const std::int64_t rows = last ? shape_size(shape) / last : 0;
    const bool last_reduced = nd && (spec.axes >> (nd - 1) & 1);
    // Every group keeps a state per output element, so groups also grow with the output: a
    // reduction over rows of wide blocks uses a few large groups, not thousands of small ones.
    const std::int64_t group_elements = std::max<std::int64_t>(kGroupElements, 64 * out_n);
    const std::int64_t rows_per_group =
        std::max<std::int64_t>(1, group_elements / std::max<std::int64_t>(last, 1));
    const std::int64_t groups =
        std::max<std::int64_t>(1, (rows + rows_per_group - 1) / rows_per_group);

    // Output strides (reduced dims contribute nothing: all of them in a segmented view) and, for
    // arg*, the global index.
    std::vector<std::int64_t> out_stride(std::max(nd, view.size()), 0), global_stride(nd, 1);
    for (std::int64_t d = static_cast<std::int64_t>(nd) - 1, s = 1, g = 1; d >= 0; --d) {
        if (view.size() == nd && !(spec.axes >> d & 1)) {
            out_stride[d] = s;
            s *= shape[d];
        }
        global_stride[d] = g;
        g *= global_shape[d];
    }
    int single_axis = -1;
    if (std::popcount(spec.axes) == 1) single_axis = std::countr_zero(spec.axes);
    auto global_index = [&](const std::vector<std::int64_t>& idx) {
        if (single_axis >= 0) return offset[single_axis] + idx[single_axis];
        std::int64_t g = 0;
        for (std::size_t d = 0; d < nd; ++d) g += (offset[d] + idx[d]) * global_stride[d];
        return g;
    };

    std::vector<std::vector<Acc>> partial(static_cast<std::size_t>(groups));
#pragma omp parallel for schedule(static)
    for (std::int64_t g = 0; g < groups; ++g) {
        auto& acc = partial[static_cast<std::size_t>(g)];
        acc.assign(static_cast<std::size_t>(out_n), init);
        const std::int64_t r0 = g * rows_per_group, r1 = std::min(rows, r0 + rows_per_group);
        // The common cases without NaN skipping: vectorised passes, a sum straight from the pieces.
        if constexpr (std::is_same_v<Acc, Sum<double>> || std::is_same_v<Acc, Mean>) {
            if (!spec.skip_nan) {
                mean_of_group<Acc, T>(pieces_of, view, out_stride, last, last_reduced, r0, r1, acc);
                continue;
            }
        }
        Bytes scratch;  // uninitialised, from the block cache; bytes since std::vector<bool> has no
                        // data()
        const T* x = r1 > r0 ? rows_of(r0 * last, (r1 - r0) * last, scratch) : nullptr;
        if constexpr (std::is_same_v<Acc, Moments>) {
            if (!spec.skip_nan) {
                moments_of_group(x, view, out_stride, last, last_reduced, r0, r1, acc);
                continue;
            }
        }
        std::vector<std::int64_t> idx(nd, 0);
        for (std::int64_t r = r0; r < r1; ++r) {
            // Multi-index of the row start.
            std::int64_t rem = r, out_base = 0;
            for (std::int64_t d = static_cast<std::int64_t>(nd) - 2; d >= 0; --d) {
                idx[d] = rem % shape[d];
                rem /= shape[d];
                out_base += idx[d] * out_stride[d];
            }
            const T* row = x + (r - r0) * last;
            for (std::int64_t j = 0; j < last; ++j) {
                const auto v = static_cast<S>(row[j]);
                if constexpr (std::is_floating_point_v<S>) {
                    if (spec.skip_nan && std::isnan(v)) continue;
                }
                std::int64_t gi = 0;
                if constexpr (std::is_same_v<Acc, ArgExtreme<true>> ||
                              std::is_same_v<Acc, ArgExtreme<false>>) {
                    if (nd) idx[nd - 1] = j;
                    gi = global_index(idx);
                }
                acc[static_cast<std::size_t>(out_base + (last_reduced ? 0 : j))].add(v, gi);
            }
        }
    }
    for (std::int64_t i = 0; i < out_n; ++i) {
        Acc a = partial[0][static_cast<std::size_t>(i)];
        for (std::int64_t g = 1; g < groups; ++g)
            a.merge(partial[static_cast<std::size_t>(g)][static_cast<std::size_t>(i)]);
        store(a, comp, i);
    }
    return state;
}

/// Calls f(accumulator initial value, state scalar tag) for the spec's reduction.
template <class F>
auto with_accumulator(const ReduceSpec& spec, F&& f) {
    const bool int_state = state_dtype(spec) == DType::kInt64;
    switch (spec.op) {
        case Reduction::kSum:
            return int_state ? f(Sum<std::int64_t>{}, std::int64_t{}) : f(Sum<double>{}, double{});
        case Reduction::kProd:
            return int_state ? f(Prod<std::int64_t>{}, std::int64_t{})
                             : f(Prod<double>{}, double{});
        case Reduction::kMin:
            return int_state ? f(Extreme<std::int64_t, false>{}, std::int64_t{})
                             : f(Extreme<double, false>{}, double{});
        case Reduction::kMax:
            return int_state ? f(Extreme<std::int64_t, true>{}, std::int64_t{})
                             : f(Extreme<double, true>{}, double{});
        case Reduction::kMean:
            return f(Mean{}, double{});
        case Reduction::kVar:
        case Reduction::kStd:
            return f(Moments{}, double{});
        case Reduction::kArgmin:
            return f(ArgExtreme<false>{}, double{});
        case Reduction::kArgmax:
            return f(ArgExtreme<true>{}, double{});
        case Reduction::kAny:
            return f(AnyAll{0, true}, std::int64_t{});
        case Reduction::kAll:
            return f(AnyAll{1, false}, std::int64_t{});
    }
    throw ValueError("unknown reduction");
}

}  // namespace

Buffer reduce_block(const ReduceSpec& spec, const Buffer& block,
                    const std::vector<std::int64_t>& offset, const Shape& global_shape) {
    if (block.dtype() != spec.input)
        throw ValueError("reduce_block: block dtype differs from the spec");
    if (offset.size() != block.shape().size() || global_shape.size() != block.shape().size())
        throw ValueError("reduce_block: offset or global shape has the wrong rank");
    return with_accumulator(spec, [&](auto init, auto s) {
        using S = decltype(s);
        return visit_dtype(block.dtype(), [&](auto t) {
            using T = decltype(t);
            auto rows = [&](std::int64_t first, std::int64_t, Bytes&) {
                return block.data<T>() + first;
            };
            auto pieces = [&](std::int64_t first, std::int64_t count, auto&& visit) {
                visit(first, count, block.data<T>() + first);
            };
            return reduce_typed<decltype(init), S, T>(spec, block.shape(), rows, pieces, offset,
                                                      global_shape, init);
        });
    });
}

Buffer reduce_block_fused(const ReduceSpec& spec, const Program& program,
                          const std::vector<Operand>& inputs, const Shape& shape,
                          const std::vector<std::int64_t>& offset, const Shape& global_shape) {
    if (program.result_dtype() != spec.input)
        throw ValueError("reduce_block_fused: program dtype differs from the spec");
    if (offset.size() != shape.size() || global_shape.size() != shape.size())
        throw ValueError("reduce_block_fused: offset or global shape has the wrong rank");
    return with_accumulator(spec, [&](auto init, auto s) {
        using S = decltype(s);
        return visit_dtype(spec.input, [&](auto t) {
            using T = decltype(t);
            // Each group's rows are evaluated into its own scratch, tile by tile: the
            // elementwise result never exists as a whole block.
            auto rows = [&](std::int64_t first, std::int64_t count, Bytes& scratch) -> const T* {
                scratch.resize(static_cast<std::size_t>(count) * sizeof(T));
                evaluate_range(program, inputs, shape, first, count,
                               reinterpret_cast<std::byte*>(scratch.data()));
                return reinterpret_cast<const T*>(scratch.data());
            };
            // The sums take the program's values tile by tile, while they are in L1.
            auto pieces = [&](std::int64_t first, std::int64_t count, auto&& visit) {
                evaluate_range(program, inputs, shape, first, count,
                               [&](std::int64_t at, std::int64_t n, const std::byte* values) {
                                   visit(at, n, reinterpret_cast<const T*>(values));
                               });
            };
            return reduce_typed<decltype(init), S, T>(spec, shape, rows, pieces, offset,
                                                      global_shape, init);
        });
    });
}

Buffer combine_states(const ReduceSpec& spec, const std::vector<const Buffer*>& states) {
    if (states.empty()) throw ValueError("combine_states: nothing to combine");
    for (const Buffer* s : states)
        if (s->shape() != states[0]->shape())
            throw ValueError("combine_states: state shapes differ");
    return with_accumulator(spec, [&](auto init, auto tag) {
        using S = decltype(tag);
        using Acc = decltype(init);
        Buffer out(states[0]->dtype(), states[0]->shape());
        const int k = state_components(spec.op);
        const std::int64_t n = out.size() / k;
        S* dst[3];
        for (int c = 0; c < k; ++c) dst[c] = out.data<S>() + c * n;
        std::vector<S*> src(states.size() * 3);
        for (std::size_t p = 0; p < states.size(); ++p)
            for (int c = 0; c < k; ++c)
                src[p * 3 + c] = const_cast<S*>(states[p]->data<S>()) + c * n;
#pragma omp parallel for schedule(static) if (n > 4096)
        for (std::int64_t i = 0; i < n; ++i) {
            Acc a = load(init, &src[0], i);
            for (std::size_t p = 1; p < states.size(); ++p) a.merge(load(init, &src[p * 3], i));
            store(a, dst, i);
        }
        return out;
    });
}

Buffer finalize(const ReduceSpec& spec, const Buffer& state) {
    const int k = state_components(spec.op);
    Shape shape(state.shape().begin() + 1, state.shape().end());
    const std::int64_t n = shape_size(shape);
    Buffer out(result_dtype(spec), shape);
    visit_dtype(out.dtype(), [&](auto t) {
        using T = decltype(t);
        T* o = out.data<T>();
        if (state.dtype() == DType::kInt64) {
            const std::int64_t* s = state.data<std::int64_t>();
            for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(s[i]);
            return;
        }
        const double* s = state.data<double>();
        for (std::int64_t i = 0; i < n; ++i) {
            double v = 0;
            switch (spec.op) {
                case Reduction::kMean:
                    v = s[i] / s[n + i];
                    break;
                case Reduction::kVar:
                case Reduction::kStd:
                    v = s[2 * n + i] / std::max(s[i] - static_cast<double>(spec.ddof), 0.0);
                    if (spec.op == Reduction::kStd) v = std::sqrt(v);
                    break;
                case Reduction::kArgmin:
                case Reduction::kArgmax:
                    if (s[n + i] < 0)
                        throw ValueError(std::string(reduction_name(spec.op)) +
                                         " of an empty sequence");
                    v = s[n + i];
                    break;
                default:
                    v = s[i];
            }
            o[i] = static_cast<T>(v);
        }
        (void)k;
    });
    return out;
}

}  // namespace tessera::kernels
