// Building array graphs: shapes, chunks and dtypes of every operation, checked when the
// operation is written, so a mismatch is reported where the user made it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <string>

#include "array_node.hpp"
#include "tessera/kernels/checked.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera::detail {

Array make_array(ArrayNode::Kind kind, DType dtype, Shape shape, Chunks chunks,
                 std::vector<NodePtr> inputs, decltype(ArrayNode::params) params) {
    auto n = std::make_shared<ArrayNode>();
    n->kind = kind;
    n->dtype = dtype;
    n->shape = std::move(shape);
    n->chunks = std::move(chunks);
    n->inputs = std::move(inputs);
    n->params = std::move(params);
    return Array(std::move(n));
}

}  // namespace tessera::detail

namespace tessera {

using detail::ArrayNode;
using detail::make_array;
using detail::NodePtr;
using Kind = ArrayNode::Kind;
using kernels::Op;

namespace {
using kernels::shape_text;

int normalize_axis(int axis, int ndim, const char* what) {
    if (axis < -ndim || axis >= std::max(ndim, 1))
        throw UsageError(std::string(what) + ": axis " + std::to_string(axis) +
                         " is out of bounds for an array of " + std::to_string(ndim) +
                         " dimension(s)");
    return axis < 0 ? axis + ndim : axis;
}

std::uint64_t axes_mask(const Axes& axes, int ndim, const char* what) {
    if (axes.empty()) return ndim >= 64 ? ~0ull : ((1ull << ndim) - 1);
    std::uint64_t mask = 0;
    for (int a : axes) {
        const int d = normalize_axis(a, ndim, what);
        if (mask >> d & 1)
            throw UsageError(std::string(what) + ": axis " + std::to_string(a) + " given twice");
        mask |= 1ull << d;
    }
    return mask;
}

bool is_scalar_fill(const NodePtr& n) {
    return n->kind == Kind::kCreate && n->shape.empty() &&
           std::get<detail::CreateParams>(n->params).kind == detail::CreateParams::Kind::kFill;
}

/// The dtype an operand of `node` has for promotion purposes: a scalar takes part by its kind.
struct Operand {
    Array array;
    std::optional<kernels::ScalarKind> scalar_kind;
};

DType promote_operands(const std::vector<Operand>& ops) {
    std::optional<DType> arrays;
    for (const auto& o : ops)
        if (!o.scalar_kind)
            arrays = arrays ? kernels::promote(*arrays, o.array.dtype()) : o.array.dtype();
    if (!arrays) {  // only scalars: their own dtypes
        DType d = ops[0].array.dtype();
        for (const auto& o : ops) d = kernels::promote(d, o.array.dtype());
        return d;
    }
    DType d = *arrays;
    for (const auto& o : ops)
        if (o.scalar_kind) d = kernels::promote_with_scalar(d, *o.scalar_kind);
    return d;
}

Operand operand(const Array& a) {
    const auto& n = a.node();
    if (!is_scalar_fill(n)) return {a, std::nullopt};
    kernels::ScalarKind kind = kernels::is_float(n->dtype) ? kernels::ScalarKind::kFloat
                               : n->dtype == DType::kBool  ? kernels::ScalarKind::kBool
                                                           : kernels::ScalarKind::kInt;
    return {a, kind};
}

}  // namespace

/// Output shape and chunks of a broadcast; operands whose chunks disagree along a shared
/// dimension are rechunked to the first operand's chunks there.
std::pair<Shape, Chunks> detail::broadcast(std::vector<Array>& arrays) {
    std::size_t nd = 0;
    for (const auto& a : arrays) nd = std::max(nd, a.shape().size());
    Shape shape(nd, 1);
    Chunks chunks(nd, std::vector<std::int64_t>{1});
    for (const auto& a : arrays) {
        const std::size_t pad = nd - a.shape().size();
        for (std::size_t d = 0; d < a.shape().size(); ++d) {
            const auto e = a.shape()[d];
            if (e == 1) continue;
            if (shape[pad + d] != 1 && shape[pad + d] != e) {
                std::string msg = "operands could not be broadcast together with shapes";
                for (const auto& b : arrays) msg += " " + shape_text(b.shape());
                throw UsageError(msg);
            }
            if (shape[pad + d] == 1) {
                shape[pad + d] = e;
                chunks[pad + d] = a.chunks()[d];
            }
        }
    }
    for (auto& a : arrays) {
        const std::size_t pad = nd - a.shape().size();
        bool differs = false;
        Chunks wanted = a.chunks();
        for (std::size_t d = 0; d < a.shape().size(); ++d)
            if (a.shape()[d] != 1 && a.chunks()[d] != chunks[pad + d]) {
                wanted[d] = chunks[pad + d];
                differs = true;
            }
        if (differs) a = a.rechunk(ChunkSpec(wanted));
    }
    return {shape, chunks};
}

namespace {

Array elementwise(Op op, std::vector<Array> inputs) {
    std::vector<Operand> ops;
    for (const auto& a : inputs) ops.push_back(operand(a));
    DType operand_dtype;
    DType result;
    switch (op) {
        case Op::kWhere: {
            if (inputs[0].dtype() != DType::kBool) inputs[0] = inputs[0].astype(DType::kBool);
            operand_dtype = promote_operands({ops[1], ops[2]});
            result = operand_dtype;
            break;
        }
        case Op::kDiv:
        case Op::kArctan2:
        case Op::kHypot:
            operand_dtype = promote_operands(ops);
            if (!kernels::is_float(operand_dtype)) operand_dtype = DType::kFloat64;
            result = operand_dtype;
            break;
        case Op::kNeg:
        case Op::kSign:
            operand_dtype = inputs[0].dtype();
            result = operand_dtype;
            break;
        case Op::kIsNan:
        case Op::kIsInf:
        case Op::kIsFinite:
            operand_dtype = inputs[0].dtype();
            result = DType::kBool;
            break;
        default:
            if (inputs.size() == 1 && !kernels::op_defined(op, DType::kInt64)) {
                // A unary function the kernels define only for floats (sqrt and every
                // transcendental one) takes an integer or bool operand as float64, as NumPy's.
                operand_dtype =
                    kernels::is_float(inputs[0].dtype()) ? inputs[0].dtype() : DType::kFloat64;
                result = operand_dtype;
            } else {
                operand_dtype = promote_operands(ops);
                result = kernels::is_comparison(op) ? DType::kBool : operand_dtype;
            }
    }
    // One check for every operation the kernels do not define for the dtype, with NumPy's
    // advice where it has some.
    if (!kernels::op_defined(op, operand_dtype)) {
        const bool bitwise = op == Op::kAnd || op == Op::kOr || op == Op::kXor || op == Op::kInvert;
        std::string advice;
        if (bitwise && kernels::is_float(operand_dtype))
            advice = " (only bool and integer arrays)";
        else if (op == Op::kNeg && operand_dtype == DType::kBool)
            advice = "; use ~ for logical not";
        else if (op == Op::kSub && operand_dtype == DType::kBool)
            advice = " (NumPy refuses it too); use ^ (bitwise_xor) instead";
        throw UsageError(std::string("operation '") + kernels::op_name(op) +
                         "' is not supported for " +
                         std::string(kernels::dtype_name(operand_dtype)) + " arrays" + advice);
    }
    auto [shape, chunks] = detail::broadcast(inputs);
    std::vector<NodePtr> nodes;
    for (const auto& a : inputs) nodes.push_back(a.node());
    return make_array(Kind::kElementwise, result, shape, chunks, nodes,
                      detail::ElementwiseParams{op, operand_dtype});
}

Array create(const Shape& shape, const ChunkSpec& chunks, DType dtype, detail::CreateParams p) {
    for (auto e : shape)
        if (e < 0) throw UsageError("negative dimension in shape " + shape_text(shape));
    return make_array(Kind::kCreate, dtype, shape, chunks.normalize(shape, dtype), {}, p);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Properties

DType Array::dtype() const { return node_->dtype; }
const Shape& Array::shape() const { return node_->shape; }
const Chunks& Array::chunks() const { return node_->chunks; }
std::int64_t Array::size() const { return kernels::shape_size(node_->shape); }
std::int64_t Array::nbytes() const {
    return kernels::checked_mul(
        size(), static_cast<std::int64_t>(kernels::dtype_size(dtype())),
        "the byte size of an array of shape " + kernels::shape_text(shape()));
}
std::vector<std::int64_t> Array::numblocks() const {
    std::vector<std::int64_t> n;
    for (const auto& c : node_->chunks) n.push_back(static_cast<std::int64_t>(c.size()));
    return n;
}

// ---------------------------------------------------------------------------------------------
// Creation

Array full(const Shape& shape, Scalar value, const ChunkSpec& chunks, std::optional<DType> dtype) {
    const DType d = dtype                                       ? *dtype
                    : value.kind == kernels::ScalarKind::kFloat ? DType::kFloat64
                    : value.kind == kernels::ScalarKind::kBool  ? DType::kBool
                                                                : DType::kInt64;
    detail::CreateParams p;
    p.a = kernels::is_float(d) ? value.f : static_cast<double>(value.i);
    return create(shape, chunks, d, p);
}
Array ones(const Shape& shape, const ChunkSpec& chunks, DType dtype) {
    return full(shape, 1, chunks, dtype);
}
Array zeros(const Shape& shape, const ChunkSpec& chunks, DType dtype) {
    return full(shape, 0, chunks, dtype);
}
Array empty(const Shape& shape, const ChunkSpec& chunks, DType dtype) {
    return full(shape, 0, chunks, dtype);
}
Array scalar(Scalar value) { return full({}, value, ChunkSpec(1)); }

Array arange(double start, double stop, double step, const ChunkSpec& chunks,
             std::optional<DType> dtype) {
    if (step == 0) throw UsageError("arange: step must not be zero");
    const double length = std::ceil((stop - start) / step);
    if (std::isnan(length)) throw ValueError("the length of the range is not a number");
    // [-2^63, 2^63) is exactly representable at its ends; outside it the cast is undefined.
    if (length >= 0x1p63) {
        char text[32];
        std::snprintf(text, sizeof text, "%.6g", length);
        throw ValueError(std::string("a range of ") + text +
                         " elements has more than a 64-bit count holds");
    }
    const auto n = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::max(length, -1.0)));
    const bool integral =
        start == std::floor(start) && step == std::floor(step) && stop == std::floor(stop);
    detail::CreateParams p;
    p.kind = detail::CreateParams::Kind::kArange;
    p.a = start;
    p.b = step;
    return create(Shape{n}, chunks, dtype.value_or(integral ? DType::kInt64 : DType::kFloat64), p);
}

Array linspace(double start, double stop, std::int64_t num, const ChunkSpec& chunks, bool endpoint,
               DType dtype) {
    if (num < 0) throw UsageError("linspace: num must be non-negative");
    detail::CreateParams p;
    p.kind = detail::CreateParams::Kind::kLinspace;
    p.a = start;
    p.b = stop;
    p.n = num;
    p.endpoint = endpoint;
    return create(Shape{num}, chunks, dtype, p);
}

Array eye(std::int64_t n, std::optional<std::int64_t> m, std::int64_t k, const ChunkSpec& chunks,
          DType dtype) {
    detail::CreateParams p;
    p.kind = detail::CreateParams::Kind::kEye;
    p.n = k;
    return create(Shape{n, m.value_or(n)}, chunks, dtype, p);
}

Array from_buffer(const Buffer& data, const ChunkSpec& chunks) {
    return make_array(Kind::kFromBuffer, data.dtype(), data.shape(),
                      chunks.normalize(data.shape(), data.dtype()), {},
                      detail::FromBufferParams{std::make_shared<const Buffer>(data)});
}

namespace random {
namespace {
Array draw(kernels::Distribution dist, double a, double b, const Shape& shape,
           const ChunkSpec& chunks, std::uint64_t seed, DType dtype) {
    detail::CreateParams p;
    p.kind = detail::CreateParams::Kind::kRandom;
    p.distribution = dist;
    p.a = a;
    p.b = b;
    p.seed = seed;
    return create(shape, chunks, dtype, p);
}
}  // namespace
Array random(const Shape& shape, const ChunkSpec& chunks, std::uint64_t seed) {
    return draw(kernels::Distribution::kUniform, 0.0, 1.0, shape, chunks, seed, DType::kFloat64);
}
Array uniform(double low, double high, const Shape& shape, const ChunkSpec& chunks,
              std::uint64_t seed) {
    return draw(kernels::Distribution::kUniform, low, high, shape, chunks, seed, DType::kFloat64);
}
Array normal(double mean, double stddev, const Shape& shape, const ChunkSpec& chunks,
             std::uint64_t seed) {
    if (stddev < 0) throw UsageError("normal: the standard deviation must be non-negative");
    return draw(kernels::Distribution::kNormal, mean, stddev, shape, chunks, seed, DType::kFloat64);
}
Array integers(std::int64_t low, std::int64_t high, const Shape& shape, const ChunkSpec& chunks,
               std::uint64_t seed) {
    if (high <= low) throw UsageError("integers: high must be greater than low");
    return draw(kernels::Distribution::kIntegers, static_cast<double>(low),
                static_cast<double>(high), shape, chunks, seed, DType::kInt64);
}
}  // namespace random

// ---------------------------------------------------------------------------------------------
// Elementwise

Array operator+(const Array& a, const Array& b) { return elementwise(Op::kAdd, {a, b}); }
Array operator-(const Array& a, const Array& b) { return elementwise(Op::kSub, {a, b}); }
Array operator*(const Array& a, const Array& b) { return elementwise(Op::kMul, {a, b}); }
Array operator/(const Array& a, const Array& b) { return elementwise(Op::kDiv, {a, b}); }
Array operator%(const Array& a, const Array& b) { return elementwise(Op::kMod, {a, b}); }
Array operator&(const Array& a, const Array& b) { return elementwise(Op::kAnd, {a, b}); }
Array operator|(const Array& a, const Array& b) { return elementwise(Op::kOr, {a, b}); }
Array operator^(const Array& a, const Array& b) { return elementwise(Op::kXor, {a, b}); }
Array operator==(const Array& a, const Array& b) { return elementwise(Op::kEqual, {a, b}); }
Array operator!=(const Array& a, const Array& b) { return elementwise(Op::kNotEqual, {a, b}); }
Array operator<(const Array& a, const Array& b) { return elementwise(Op::kLess, {a, b}); }
Array operator<=(const Array& a, const Array& b) { return elementwise(Op::kLessEqual, {a, b}); }
Array operator>(const Array& a, const Array& b) { return elementwise(Op::kGreater, {a, b}); }
Array operator>=(const Array& a, const Array& b) { return elementwise(Op::kGreaterEqual, {a, b}); }
Array operator-(const Array& a) { return elementwise(Op::kNeg, {a}); }
Array operator~(const Array& a) { return elementwise(Op::kInvert, {a}); }
Array floor_divide(const Array& a, const Array& b) { return elementwise(Op::kFloorDiv, {a, b}); }
Array power(const Array& a, const Array& b) { return elementwise(Op::kPow, {a, b}); }
Array maximum(const Array& a, const Array& b) { return elementwise(Op::kMaximum, {a, b}); }
Array minimum(const Array& a, const Array& b) { return elementwise(Op::kMinimum, {a, b}); }
Array arctan2(const Array& y, const Array& x) { return elementwise(Op::kArctan2, {y, x}); }
Array hypot(const Array& a, const Array& b) { return elementwise(Op::kHypot, {a, b}); }
Array where(const Array& c, const Array& a, const Array& b) {
    return elementwise(Op::kWhere, {c, a, b});
}
Array abs(const Array& a) { return elementwise(Op::kAbs, {a}); }
Array sqrt(const Array& a) { return elementwise(Op::kSqrt, {a}); }
Array exp(const Array& a) { return elementwise(Op::kExp, {a}); }
Array log(const Array& a) { return elementwise(Op::kLog, {a}); }
Array log1p(const Array& a) { return elementwise(Op::kLog1p, {a}); }
Array sin(const Array& a) { return elementwise(Op::kSin, {a}); }
Array cos(const Array& a) { return elementwise(Op::kCos, {a}); }
Array tanh(const Array& a) { return elementwise(Op::kTanh, {a}); }
Array tan(const Array& a) { return elementwise(Op::kTan, {a}); }
Array arcsin(const Array& a) { return elementwise(Op::kArcsin, {a}); }
Array arccos(const Array& a) { return elementwise(Op::kArccos, {a}); }
Array arctan(const Array& a) { return elementwise(Op::kArctan, {a}); }
Array sinh(const Array& a) { return elementwise(Op::kSinh, {a}); }
Array cosh(const Array& a) { return elementwise(Op::kCosh, {a}); }
Array arcsinh(const Array& a) { return elementwise(Op::kArcsinh, {a}); }
Array arccosh(const Array& a) { return elementwise(Op::kArccosh, {a}); }
Array arctanh(const Array& a) { return elementwise(Op::kArctanh, {a}); }
Array exp2(const Array& a) { return elementwise(Op::kExp2, {a}); }
Array expm1(const Array& a) { return elementwise(Op::kExpm1, {a}); }
Array log2(const Array& a) { return elementwise(Op::kLog2, {a}); }
Array log10(const Array& a) { return elementwise(Op::kLog10, {a}); }
Array cbrt(const Array& a) { return elementwise(Op::kCbrt, {a}); }
Array sign(const Array& a) { return elementwise(Op::kSign, {a}); }
Array floor(const Array& a) { return elementwise(Op::kFloor, {a}); }
Array ceil(const Array& a) { return elementwise(Op::kCeil, {a}); }
Array round(const Array& a) { return elementwise(Op::kRound, {a}); }
Array isnan(const Array& a) { return elementwise(Op::kIsNan, {a}); }
Array isinf(const Array& a) { return elementwise(Op::kIsInf, {a}); }
Array isfinite(const Array& a) { return elementwise(Op::kIsFinite, {a}); }

Array nan_to_num(const Array& a, double nan, std::optional<double> posinf,
                 std::optional<double> neginf) {
    if (!kernels::is_float(a.dtype())) return a;
    const bool single = a.dtype() == DType::kFloat32;
    const double largest =
        single ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
    auto fill = [&](double v) { return scalar(v).astype(a.dtype()); };
    const Array infinite =
        where(a > 0, fill(posinf.value_or(largest)), fill(neginf.value_or(-largest)));
    return where(isnan(a), fill(nan), where(isinf(a), infinite, a));
}

Array clip(const Array& a, std::optional<Scalar> low, std::optional<Scalar> high) {
    Array out = a;
    if (low) out = maximum(out, scalar(*low));
    if (high) out = minimum(out, scalar(*high));
    return out;
}

Array Array::astype(DType dtype) const {
    if (dtype == this->dtype()) return *this;
    return make_array(Kind::kElementwise, dtype, shape(), chunks(), {node_},
                      detail::ElementwiseParams{Op::kCast, dtype});
}

// ---------------------------------------------------------------------------------------------
// Reductions

Array Array::reduce(kernels::Reduction op, const Axes& axes, bool keepdims, bool skip_nan,
                    std::int64_t ddof, int split_every) const {
    if (split_every < 2) throw UsageError("split_every must be at least 2");
    kernels::ReduceSpec spec;
    spec.op = op;
    spec.skip_nan = skip_nan;
    spec.axes = axes_mask(axes, ndim(), kernels::reduction_name(op));
    spec.ddof = ddof;
    spec.input = dtype();
    Shape out_shape;
    Chunks out_chunks;
    for (int d = 0; d < ndim(); ++d) {
        if (spec.axes >> d & 1) {
            if (keepdims) {
                out_shape.push_back(1);
                out_chunks.push_back({1});
            }
        } else {
            out_shape.push_back(shape()[d]);
            out_chunks.push_back(chunks()[d]);
        }
    }
    return make_array(Kind::kReduce, kernels::result_dtype(spec), out_shape, out_chunks, {node_},
                      detail::ReduceParams{spec, keepdims, split_every});
}

Array Array::sum(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kSum, axes, keepdims);
}
Array Array::prod(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kProd, axes, keepdims);
}
Array Array::mean(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kMean, axes, keepdims);
}
Array Array::var(const Axes& axes, std::int64_t ddof, bool keepdims) const {
    return reduce(kernels::Reduction::kVar, axes, keepdims, false, ddof);
}
Array Array::std(const Axes& axes, std::int64_t ddof, bool keepdims) const {
    return reduce(kernels::Reduction::kStd, axes, keepdims, false, ddof);
}
Array Array::min(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kMin, axes, keepdims);
}
Array Array::max(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kMax, axes, keepdims);
}
Array Array::any(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kAny, axes, keepdims);
}
Array Array::all(const Axes& axes, bool keepdims) const {
    return reduce(kernels::Reduction::kAll, axes, keepdims);
}
Array Array::argmin(std::optional<int> axis) const {
    return reduce(kernels::Reduction::kArgmin, axis ? Axes{*axis} : Axes{}, false);
}
Array Array::argmax(std::optional<int> axis) const {
    return reduce(kernels::Reduction::kArgmax, axis ? Axes{*axis} : Axes{}, false);
}

// ---------------------------------------------------------------------------------------------
// Structure

Array Array::transpose(std::vector<int> axes) const {
    const int nd = ndim();
    if (axes.empty())
        for (int d = nd - 1; d >= 0; --d) axes.push_back(d);
    if (static_cast<int>(axes.size()) != nd)
        throw UsageError("transpose: axes do not match the array's dimensions");
    std::vector<bool> seen(static_cast<std::size_t>(nd), false);
    for (auto& a : axes) {
        a = normalize_axis(a, nd, "transpose");
        if (seen[static_cast<std::size_t>(a)])
            throw UsageError("transpose: repeated axis in the permutation");
        seen[static_cast<std::size_t>(a)] = true;
    }
    Shape s;
    Chunks c;
    for (int a : axes) {
        s.push_back(shape()[static_cast<std::size_t>(a)]);
        c.push_back(chunks()[static_cast<std::size_t>(a)]);
    }
    return make_array(Kind::kTranspose, dtype(), s, c, {node_}, detail::TransposeParams{axes});
}

Array Array::rechunk(const ChunkSpec& spec) const {
    Chunks c = spec.normalize(shape(), dtype());
    if (c == chunks()) return *this;
    return make_array(Kind::kRechunk, dtype(), shape(), c, {node_}, detail::RechunkParams{});
}

Array Array::operator[](const std::vector<Index>& index) const {
    // Expand the ellipsis, then give each input dimension its entry.
    std::size_t consuming = 0, ellipses = 0;
    for (const auto& i : index) {
        if (std::holds_alternative<Ellipsis>(i))
            ++ellipses;
        else if (!std::holds_alternative<NewAxis>(i))
            ++consuming;
    }
    if (ellipses > 1) throw UsageError("an index can only have a single ellipsis ('...')");
    if (consuming > shape().size())
        throw UsageError("too many indices for an array of shape " + shape_text(shape()) + ": " +
                         std::to_string(consuming) + " given");
    std::vector<Index> full;
    for (const auto& i : index) {
        if (std::holds_alternative<Ellipsis>(i))
            for (std::size_t k = 0; k < shape().size() - consuming; ++k) full.push_back(Slice{});
        else
            full.push_back(i);
    }
    while (std::count_if(full.begin(), full.end(), [](const Index& i) {
               return !std::holds_alternative<NewAxis>(i);
           }) < static_cast<std::ptrdiff_t>(shape().size()))
        full.push_back(Slice{});

    detail::SliceParams p;
    Shape out_shape;
    Chunks out_chunks;
    std::vector<int> relabel;  // output dim -> sliced (kept) dim, -1 new axis
    int in_dim = 0, kept = 0;
    for (const auto& entry : full) {
        if (std::holds_alternative<NewAxis>(entry)) {
            relabel.push_back(-1);
            continue;
        }
        const std::int64_t n = shape()[static_cast<std::size_t>(in_dim)];
        detail::SliceDim sd;
        if (const auto* i = std::get_if<std::int64_t>(&entry)) {
            const std::int64_t k = *i < 0 ? *i + n : *i;
            if (k < 0 || k >= n)
                throw UsageError("index " + std::to_string(*i) + " is out of bounds for axis " +
                                 std::to_string(in_dim) + " with size " + std::to_string(n));
            sd.start = k;
            sd.step = 1;
            sd.count = 1;
            sd.drop = true;
        } else {
            const Slice& s = std::get<Slice>(entry);
            const std::int64_t step = s.step.value_or(1);
            if (step == 0) throw UsageError("slice step cannot be zero");
            // Python's slice.indices().
            auto clampi = [&](std::optional<std::int64_t> v, std::int64_t dflt) {
                if (!v) return dflt;
                std::int64_t x = *v < 0 ? *v + n : *v;
                if (step > 0) return std::clamp<std::int64_t>(x, 0, n);
                return std::clamp<std::int64_t>(x, -1, n - 1);
            };
            const std::int64_t start = clampi(s.start, step > 0 ? 0 : n - 1);
            const std::int64_t stop = clampi(s.stop, step > 0 ? n : -1);
            const std::int64_t count =
                step > 0 ? std::max<std::int64_t>(0, (stop - start + step - 1) / step)
                         : std::max<std::int64_t>(0, (start - stop - step - 1) / (-step));
            sd.start = start;
            sd.step = step;
            sd.count = count;
        }
        // Output chunks along this dimension: the selected elements of each input chunk, in order.
        const auto offs = detail::chunk_offsets(chunks()[static_cast<std::size_t>(in_dim)]);
        std::vector<std::int64_t> sizes;
        std::int64_t i = 0;
        while (i < sd.count) {
            const std::int64_t g = sd.start + sd.step * i;
            const auto b = static_cast<std::int64_t>(std::upper_bound(offs.begin(), offs.end(), g) -
                                                     offs.begin()) -
                           1;
            // How many consecutive selections stay inside block b.
            std::int64_t m = 1;
            while (i + m < sd.count) {
                const std::int64_t h = sd.start + sd.step * (i + m);
                if (h < offs[static_cast<std::size_t>(b)] ||
                    h >= offs[static_cast<std::size_t>(b) + 1])
                    break;
                ++m;
            }
            sd.blocks.emplace_back(b, g - offs[static_cast<std::size_t>(b)]);
            sizes.push_back(m);
            i += m;
        }
        if (sizes.empty()) {  // an empty selection: one empty block, read from block 0
            sd.blocks.emplace_back(0, 0);
            sizes.push_back(0);
        }
        if (!sd.drop) {
            out_shape.push_back(sd.count);
            out_chunks.push_back(sizes);
            relabel.push_back(kept++);
        }
        p.dims.push_back(std::move(sd));
        ++in_dim;
    }
    Shape sliced_shape = out_shape;
    Chunks sliced_chunks = out_chunks;
    Array sliced = make_array(Kind::kSlice, dtype(), sliced_shape, sliced_chunks, {node_}, p);
    bool has_new = std::count(relabel.begin(), relabel.end(), -1) > 0;
    if (!has_new) return sliced;
    Shape s;
    Chunks c;
    for (int src : relabel) {
        s.push_back(src < 0 ? 1 : sliced_shape[static_cast<std::size_t>(src)]);
        c.push_back(src < 0 ? std::vector<std::int64_t>{1}
                            : sliced_chunks[static_cast<std::size_t>(src)]);
    }
    return make_array(Kind::kRelabel, dtype(), s, c, {sliced.node()},
                      detail::RelabelParams{relabel});
}

Array Array::expand_dims(int axis) const {
    const int nd = ndim() + 1;
    axis = normalize_axis(axis, nd, "expand_dims");
    std::vector<Index> idx;
    for (int d = 0; d < nd; ++d) idx.push_back(d == axis ? Index{NewAxis{}} : Index{Slice{}});
    return (*this)[idx];
}

Array Array::squeeze(const Axes& axes) const {
    const std::uint64_t mask = axes.empty() ? 0 : axes_mask(axes, ndim(), "squeeze");
    std::vector<int> relabel;
    Shape s;
    Chunks c;
    for (int d = 0; d < ndim(); ++d) {
        const bool selected =
            axes.empty() ? shape()[static_cast<std::size_t>(d)] == 1 : (mask >> d & 1);
        if (selected) {
            if (shape()[static_cast<std::size_t>(d)] != 1)
                throw UsageError("cannot squeeze axis " + std::to_string(d) + " of size " +
                                 std::to_string(shape()[static_cast<std::size_t>(d)]));
            continue;
        }
        relabel.push_back(d);
        s.push_back(shape()[static_cast<std::size_t>(d)]);
        c.push_back(chunks()[static_cast<std::size_t>(d)]);
    }
    return make_array(Kind::kRelabel, dtype(), s, c, {node_}, detail::RelabelParams{relabel});
}

Array Array::broadcast_to(const Shape& target) const {
    if (target.size() < shape().size())
        throw UsageError("cannot broadcast an array of shape " + shape_text(shape()) + " to " +
                         shape_text(target));
    const std::size_t pad = target.size() - shape().size();
    Chunks c;
    for (std::size_t d = 0; d < target.size(); ++d) {
        if (d < pad || shape()[d - pad] == 1) {
            c.push_back({target[d]});
            continue;
        }
        if (shape()[d - pad] != target[d])
            throw UsageError("cannot broadcast an array of shape " + shape_text(shape()) + " to " +
                             shape_text(target));
        c.push_back(chunks()[d - pad]);
    }
    return make_array(Kind::kBroadcast, dtype(), target, c, {node_}, detail::BroadcastParams{});
}

namespace {

std::optional<Array> reshape_blockwise(const Array& x, const Shape& target) {
    // The leading dimensions the reshape leaves alone keep their chunks; past them, the input
    // is made whole but for its first reshaped dimension k (as Dask does). When each block's
    // run along k then holds whole rows of the output's remaining dimensions, every block is
    // one output block of the same elements in the same order: no element moves.
    if (x.size() == 0) return std::nullopt;
    const std::size_t in_nd = x.shape().size(), out_nd = target.size();
    std::size_t k = 0;
    while (k < in_nd && k < out_nd && x.shape()[k] == target[k]) ++k;
    const auto product = [](const Shape& s, std::size_t from) {
        return from < s.size()
                   ? kernels::shape_size(Shape(s.begin() + static_cast<long>(from), s.end()))
                   : std::int64_t{1};
    };
    const std::int64_t in_row = product(x.shape(), k + 1), out_row = product(target, k + 1);
    Chunks in_chunks = x.chunks();
    for (std::size_t d = k + 1; d < in_nd; ++d) in_chunks[d] = {x.shape()[d]};
    Chunks out_chunks(out_nd);
    for (std::size_t d = 0; d < std::min(k, out_nd); ++d) out_chunks[d] = in_chunks[d];
    for (std::size_t d = k + 1; d < out_nd; ++d) out_chunks[d] = {target[d]};
    if (k < out_nd) {
        // The input's blocks along k (one block of extent 1 when the input has no dimension k:
        // the output only adds trailing dimensions of 1).
        const std::vector<std::int64_t> along =
            k < in_nd ? in_chunks[k] : std::vector<std::int64_t>{1};
        for (const std::int64_t c : along) {
            if (c * in_row % out_row != 0) return std::nullopt;
            out_chunks[k].push_back(c * in_row / out_row);
        }
    } else if (in_row != 1) {
        return std::nullopt;
    }
    const Array in = x.rechunk(ChunkSpec(in_chunks));
    return make_array(Kind::kReshape, x.dtype(), target, out_chunks, {in.node()},
                      detail::ReshapeParams{true});
}

}  // namespace

Array Array::reshape(const Shape& requested) const {
    Shape target = requested;
    std::int64_t known = 1;
    int unknown = -1;
    for (std::size_t d = 0; d < target.size(); ++d) {
        if (target[d] == -1) {
            if (unknown >= 0) throw UsageError("reshape: can only specify one unknown dimension");
            unknown = static_cast<int>(d);
        } else {
            known *= target[d];
        }
    }
    if (unknown >= 0 && known > 0) target[static_cast<std::size_t>(unknown)] = size() / known;
    if (kernels::shape_size(target) != size())
        throw UsageError("cannot reshape an array of size " + std::to_string(size()) + " (shape " +
                         shape_text(shape()) + ") into shape " + shape_text(requested));
    if (target == shape()) return *this;
    if (auto blockwise = reshape_blockwise(*this, target)) return *blockwise;
    // Blocks that are whole along every dimension but the first are contiguous runs of the
    // C-ordered elements, on both sides; the output's first-dimension blocks follow the input's.
    Chunks whole = chunks();
    for (std::size_t d = 1; d < whole.size(); ++d) whole[d] = {shape()[d]};
    const Array in = rechunk(ChunkSpec(whole));
    const std::int64_t in_row =
        shape().empty() ? 1 : size() / std::max<std::int64_t>(shape()[0], 1);
    const std::int64_t out_row =
        target.empty() ? 1 : kernels::shape_size(Shape(target.begin() + 1, target.end()));
    Chunks out_chunks(target.size());
    for (std::size_t d = 1; d < target.size(); ++d) out_chunks[d] = {target[d]};
    if (!target.empty()) {
        // Cut the output's first dimension at element boundaries close to the input's blocks.
        std::int64_t prev = 0;
        const auto offs = detail::chunk_offsets(in.chunks().empty() ? std::vector<std::int64_t>{1}
                                                                    : in.chunks()[0]);
        for (std::size_t b = 1; b < offs.size(); ++b) {
            const std::int64_t elements = offs[b] * in_row;
            const std::int64_t row = out_row ? elements / out_row : 0;
            if (row > prev) {
                out_chunks[0].push_back(row - prev);
                prev = row;
            }
        }
        if (prev < target[0]) out_chunks[0].push_back(target[0] - prev);
        if (out_chunks[0].empty()) out_chunks[0].push_back(target[0]);
    }
    return make_array(Kind::kReshape, dtype(), target, out_chunks, {in.node()},
                      detail::ReshapeParams{});
}

Array concatenate(const std::vector<Array>& arrays, int axis) {
    if (arrays.empty()) throw UsageError("need at least one array to concatenate");
    const int nd = arrays[0].ndim();
    if (nd == 0) throw UsageError("zero-dimensional arrays cannot be concatenated");
    axis = normalize_axis(axis, nd, "concatenate");
    std::vector<NodePtr> nodes;
    Shape shape = arrays[0].shape();
    shape[static_cast<std::size_t>(axis)] = 0;
    Chunks chunks = arrays[0].chunks();
    chunks[static_cast<std::size_t>(axis)].clear();
    DType dtype = arrays[0].dtype();
    for (const auto& a : arrays) dtype = kernels::promote(dtype, a.dtype());
    for (const auto& a0 : arrays) {
        if (a0.ndim() != nd)
            throw UsageError("all the input arrays must have the same number of dimensions; got " +
                             shape_text(arrays[0].shape()) + " and " + shape_text(a0.shape()));
        for (int d = 0; d < nd; ++d)
            if (d != axis && a0.shape()[static_cast<std::size_t>(d)] !=
                                 arrays[0].shape()[static_cast<std::size_t>(d)])
                throw UsageError(
                    "all the input array dimensions except for the concatenation axis must match; "
                    "got " +
                    shape_text(arrays[0].shape()) + " and " + shape_text(a0.shape()));
        Chunks want = chunks;
        want[static_cast<std::size_t>(axis)] = a0.chunks()[static_cast<std::size_t>(axis)];
        const Array a = a0.astype(dtype).rechunk(ChunkSpec(want));
        shape[static_cast<std::size_t>(axis)] += a.shape()[static_cast<std::size_t>(axis)];
        for (auto c : a.chunks()[static_cast<std::size_t>(axis)])
            chunks[static_cast<std::size_t>(axis)].push_back(c);
        nodes.push_back(a.node());
    }
    return make_array(Kind::kConcatenate, dtype, shape, chunks, nodes,
                      detail::ConcatenateParams{axis});
}

Array stack(const std::vector<Array>& arrays, int axis) {
    if (arrays.empty()) throw UsageError("need at least one array to stack");
    axis = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
    std::vector<Array> expanded;
    for (const auto& a : arrays) {
        if (a.shape() != arrays[0].shape())
            throw UsageError("all input arrays must have the same shape to stack");
        expanded.push_back(a.expand_dims(axis));
    }
    return concatenate(expanded, axis);
}

namespace {

/// One of a and b is the other's transpose node: a @ b is a Gram product.
bool transposes(const Array& a, const Array& b) {
    const auto swaps = [](const Array& t, const Array& of) {
        const NodePtr& n = t.node();
        return n->kind == Kind::kTranspose && n->inputs[0] == of.node() &&
               std::get<detail::TransposeParams>(n->params).perm == std::vector<int>{1, 0};
    };
    return swaps(a, b) || swaps(b, a);
}

/// x is `y + s`, `s + y` or `y - s` for a float64 array y and a scalar s.
struct ScalarShift {
    Array shifted;  // y
    Array scalar;   // s
    Op op;          // + or -
};
std::optional<ScalarShift> scalar_shift(const Array& x) {
    const NodePtr& n = x.node();
    if (n->kind != Kind::kElementwise || n->dtype != DType::kFloat64) return std::nullopt;
    const Op op = std::get<detail::ElementwiseParams>(n->params).op;
    if (op != Op::kAdd && op != Op::kSub) return std::nullopt;
    const bool scalar_first = is_scalar_fill(n->inputs[0]) && op == Op::kAdd;
    const NodePtr& y = n->inputs[scalar_first ? 1 : 0];
    const NodePtr& s = n->inputs[scalar_first ? 0 : 1];
    if (!is_scalar_fill(s) || is_scalar_fill(y) || y->dtype != n->dtype) return std::nullopt;
    return ScalarShift{Array(y), Array(s), op};
}

}  // namespace

Array matmul(const Array& a0, const Array& b0) {
    if (a0.ndim() != 2 || b0.ndim() != 2)
        throw UsageError("matmul: tessera multiplies 2-d arrays; got shapes " +
                         shape_text(a0.shape()) + " and " + shape_text(b0.shape()));
    if (a0.shape()[1] != b0.shape()[0])
        throw UsageError("matmul: shapes " + shape_text(a0.shape()) + " and " +
                         shape_text(b0.shape()) + " not aligned: " + std::to_string(a0.shape()[1]) +
                         " (dim 1) != " + std::to_string(b0.shape()[0]) + " (dim 0)");
    // A Gram product with a scalar shift, a @ (a.T + s) (the seed's x.dot(x.T + 1)), is a Gram
    // product plus a rank-one correction: a @ a.T + s * a.sum(axis=1, keepdims=True). Half the
    // flops, and the shifted operand is never made. The two terms are rounded apart: when the
    // shift cancels most of the operand (centring data far from zero), digits are lost that the
    // direct product keeps, so this is done for float64 only, and only where it halves the work
    // (a shifted operand that is kept, e.g. persisted, is multiplied as it is).
    if (a0.dtype() == b0.dtype()) {
        if (const auto shift = scalar_shift(b0); shift && transposes(a0, shift->shifted))
            return elementwise(shift->op,
                               {matmul(a0, shift->shifted), shift->scalar * a0.sum({1}, true)});
        if (const auto shift = scalar_shift(a0); shift && transposes(shift->shifted, b0))
            return elementwise(shift->op,
                               {matmul(shift->shifted, b0), shift->scalar * b0.sum({0}, true)});
    }
    // NumPy's SYRK path: the blocks on and above the diagonal are multiplied, those below are
    // their transposes. a.T @ a is the Gram product of a.T.
    if (transposes(a0, b0))
        return make_array(Kind::kMatmul, a0.dtype(), {a0.shape()[0], a0.shape()[0]},
                          {a0.chunks()[0], a0.chunks()[0]}, {a0.node()},
                          detail::MatmulParams{true});
    const DType dtype = kernels::promote(a0.dtype(), b0.dtype());
    const Array a = a0.astype(dtype);
    const Array b = b0.astype(dtype).rechunk(ChunkSpec(Chunks{a0.chunks()[1], b0.chunks()[1]}));
    return make_array(Kind::kMatmul, dtype, {a.shape()[0], b.shape()[1]},
                      {a.chunks()[0], b.chunks()[1]}, {a.node(), b.node()}, detail::MatmulParams{});
}

Array Array::dot(const Array& other) const { return matmul(*this, other); }

Array tensordot(const Array& a, const Array& b, const std::vector<int>& a_axes,
                const std::vector<int>& b_axes) {
    if (a_axes.size() != b_axes.size())
        throw UsageError("tensordot: axes lists must have the same length");
    std::vector<int> af, bf;  // free axes
    std::set<int> ac, bc;
    for (std::size_t i = 0; i < a_axes.size(); ++i) {
        const int x = normalize_axis(a_axes[i], a.ndim(), "tensordot"),
                  y = normalize_axis(b_axes[i], b.ndim(), "tensordot");
        if (a.shape()[static_cast<std::size_t>(x)] != b.shape()[static_cast<std::size_t>(y)])
            throw UsageError("tensordot: shape mismatch for sum over axes " + std::to_string(x) +
                             " and " + std::to_string(y));
        ac.insert(x);
        bc.insert(y);
    }
    std::vector<int> ap, bp;
    Shape out;
    std::int64_t m = 1, n = 1, k = 1;
    for (int d = 0; d < a.ndim(); ++d)
        if (!ac.count(d)) {
            ap.push_back(d);
            out.push_back(a.shape()[static_cast<std::size_t>(d)]);
            m *= a.shape()[static_cast<std::size_t>(d)];
        }
    for (std::size_t i = 0; i < a_axes.size(); ++i) {
        ap.push_back(normalize_axis(a_axes[i], a.ndim(), "tensordot"));
        bp.push_back(normalize_axis(b_axes[i], b.ndim(), "tensordot"));
        k *= a.shape()[static_cast<std::size_t>(ap.back())];
    }
    for (int d = 0; d < b.ndim(); ++d)
        if (!bc.count(d)) {
            bp.push_back(d);
            out.push_back(b.shape()[static_cast<std::size_t>(d)]);
            n *= b.shape()[static_cast<std::size_t>(d)];
        }
    const Array a2 = a.transpose(ap).reshape({m, k});
    const Array b2 = b.transpose(bp).reshape({k, n});
    return matmul(a2, b2).reshape(out);
}

}  // namespace tessera
