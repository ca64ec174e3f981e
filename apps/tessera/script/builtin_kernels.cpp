#include "builtin_kernels.hpp"

#include "interpreter.hpp"
#include "tessera/kernels/block_ops.hpp"

namespace tessera::script {

namespace {

/// Applies a radius-1 stencil to every element of an n-d float64 block: `visit(centre, offsets)`
/// gets the element and the flat offsets of its neighbours present in the block (elements on
/// the block's border have fewer; map_overlap trims those away when depth >= 1).
template <class Stencil>
Buffer stencil(const Buffer& in, Stencil element) {
    const Buffer x = in.dtype() == DType::kFloat64 ? in : kernels::astype(in, DType::kFloat64);
    const Shape& shape = x.shape();
    const auto ndim = static_cast<int>(shape.size());
    std::vector<std::int64_t> stride(shape.size(), 1);
    for (int d = ndim - 2; d >= 0; --d) stride[d] = stride[d + 1] * shape[d + 1];
    Buffer out(DType::kFloat64, shape);
    const double* src = x.data<double>();
    double* dst = out.data<double>();
    if (ndim == 0) {
        dst[0] = src[0];
        return out;
    }
    // Row by row along the last axis: the other axes' neighbours are known once per row (no
    // division per element), the last axis' from the position in the row.
    const std::int64_t length = shape.back(), rows = length ? x.size() / length : 0;
#pragma omp parallel
    {
        std::vector<char> low(shape.size()), high(shape.size());
#pragma omp for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) {
            std::int64_t rest = r;
            for (int d = ndim - 2; d >= 0; --d) {
                const std::int64_t c = rest % shape[d];
                rest /= shape[d];
                low[d] = c > 0;
                high[d] = c + 1 < shape[d];
            }
            for (std::int64_t j = 0, i = r * length; j < length; ++j, ++i) {
                double acc[2] = {0, 0};  // stencil-specific accumulators
                for (int d = 0; d + 1 < ndim; ++d)
                    element(src, i, stride[d], low[d] != 0, high[d] != 0, acc);
                element(src, i, 1, j > 0, j + 1 < length, acc);
                dst[i] = element.finish(src[i], acc);
            }
        }
    }
    return out;
}

/// Sum over axes of x[i-1] - 2 x[i] + x[i+1] (the 5-point Laplacian in 2-D).
struct Laplacian {
    void operator()(const double* x, std::int64_t i, std::int64_t s, bool low, bool high,
                    double* acc) const {
        if (low && high) acc[0] += x[i - s] - 2 * x[i] + x[i + s];
    }
    double finish(double, const double* acc) const { return acc[0]; }
};

/// Mean of the element and its two neighbours along each axis (a separable-free cross average).
struct Smooth {
    void operator()(const double* x, std::int64_t i, std::int64_t s, bool low, bool high,
                    double* acc) const {
        if (low) acc[0] += x[i - s], acc[1] += 1;
        if (high) acc[0] += x[i + s], acc[1] += 1;
    }
    double finish(double centre, const double* acc) const {
        return (centre + acc[0]) / (1 + acc[1]);
    }
};

const BlockFunction laplacian = register_block_function(
    "script.laplacian",
    [](const std::vector<Buffer>& in, const BlockInfo&) { return stencil(in[0], Laplacian{}); });
const BlockFunction smooth = register_block_function(
    "script.smooth",
    [](const std::vector<Buffer>& in, const BlockInfo&) { return stencil(in[0], Smooth{}); });

}  // namespace

const std::map<std::string, std::string>& builtin_kernels() {
    static const std::map<std::string, std::string> k = {
        {"laplacian", "sum over the axes of x[i-1] - 2*x[i] + x[i+1] (needs depth >= 1)"},
        {"smooth", "mean of each element and its 2*ndim nearest neighbours (needs depth >= 1)"},
    };
    return k;
}

Array apply_builtin_kernel(const std::string& name, Span where, const Array& x,
                           const std::vector<std::int64_t>& depth, kernels::Boundary boundary,
                           double constant) {
    const auto& known = builtin_kernels();
    if (!known.count(name)) {
        std::vector<std::string> names;
        names.reserve(known.size());
        for (const auto& [n, _] : known) names.push_back(n);
        throw ScriptError("map_overlap(): '" + name +
                              "' is not a built-in kernel (there are: laplacian, smooth)" +
                              did_you_mean(name, names),
                          where);
    }
    if (depth.size() != static_cast<std::size_t>(x.ndim()))
        throw ScriptError("map_overlap(): 'depth' has " + std::to_string(depth.size()) +
                              " entries for an array of " + std::to_string(x.ndim()) +
                              " dimensions",
                          where);
    for (std::size_t d = 0; d < depth.size(); ++d)
        if (depth[d] < 1 && x.shape()[d] > 1)
            throw ScriptError(
                "map_overlap(): " + name +
                    " reads one neighbour on each side, so 'depth' must be at least 1 "
                    "along every axis",
                where);
    const BlockFunction& f = name == "laplacian" ? laplacian : smooth;
    return map_overlap(f, x.dtype() == DType::kFloat64 ? x : x.astype(DType::kFloat64), depth,
                       boundary, constant, DType::kFloat64);
}

}  // namespace tessera::script
