#include "tessera/kernels/elementwise.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tessera/kernels/dispatch.hpp"
#include "tessera/kernels/error.hpp"
#include "tessera/kernels/vector_math.hpp"

namespace tessera::kernels {

const char* op_name(Op op) {
    switch (op) {
        case Op::kInput:
            return "input";
        case Op::kConst:
            return "const";
        case Op::kCast:
            return "astype";
        case Op::kNeg:
            return "negative";
        case Op::kAbs:
            return "abs";
        case Op::kSqrt:
            return "sqrt";
        case Op::kExp:
            return "exp";
        case Op::kLog:
            return "log";
        case Op::kLog1p:
            return "log1p";
        case Op::kSin:
            return "sin";
        case Op::kCos:
            return "cos";
        case Op::kTanh:
            return "tanh";
        case Op::kTan:
            return "tan";
        case Op::kArcsin:
            return "arcsin";
        case Op::kArccos:
            return "arccos";
        case Op::kArctan:
            return "arctan";
        case Op::kSinh:
            return "sinh";
        case Op::kCosh:
            return "cosh";
        case Op::kArcsinh:
            return "arcsinh";
        case Op::kArccosh:
            return "arccosh";
        case Op::kArctanh:
            return "arctanh";
        case Op::kExp2:
            return "exp2";
        case Op::kExpm1:
            return "expm1";
        case Op::kLog2:
            return "log2";
        case Op::kLog10:
            return "log10";
        case Op::kCbrt:
            return "cbrt";
        case Op::kSign:
            return "sign";
        case Op::kFloor:
            return "floor";
        case Op::kCeil:
            return "ceil";
        case Op::kRound:
            return "round";
        case Op::kInvert:
            return "invert";
        case Op::kIsNan:
            return "isnan";
        case Op::kIsInf:
            return "isinf";
        case Op::kIsFinite:
            return "isfinite";
        case Op::kAdd:
            return "add";
        case Op::kSub:
            return "subtract";
        case Op::kMul:
            return "multiply";
        case Op::kDiv:
            return "divide";
        case Op::kFloorDiv:
            return "floor_divide";
        case Op::kMod:
            return "mod";
        case Op::kPow:
            return "power";
        case Op::kMaximum:
            return "maximum";
        case Op::kMinimum:
            return "minimum";
        case Op::kArctan2:
            return "arctan2";
        case Op::kHypot:
            return "hypot";
        case Op::kEqual:
            return "equal";
        case Op::kNotEqual:
            return "not_equal";
        case Op::kLess:
            return "less";
        case Op::kLessEqual:
            return "less_equal";
        case Op::kGreater:
            return "greater";
        case Op::kGreaterEqual:
            return "greater_equal";
        case Op::kAnd:
            return "and";
        case Op::kOr:
            return "or";
        case Op::kXor:
            return "xor";
        case Op::kWhere:
            return "where";
    }
    return "?";
}

namespace {

constexpr bool is_unary(Op op) { return op >= Op::kNeg && op <= Op::kInvert; }
constexpr bool is_binary(Op op) { return op >= Op::kAdd && op <= Op::kXor; }

/// Calls f(std::integral_constant<Op, op>{}) for a unary or binary operator: each operator gets
/// its own loop, compiled with the operator known (vectorised where it allows, no switch per
/// element).
template <class F>
void with_constant_op(Op op, F&& f) {
    constexpr int first = static_cast<int>(Op::kNeg), last = static_cast<int>(Op::kXor);
    [&]<int... I>(std::integer_sequence<int, I...>) {
        (void)((static_cast<int>(op) == first + I &&
                (f(std::integral_constant<Op, static_cast<Op>(first + I)>{}), true)) ||
               ...);
    }
    (std::make_integer_sequence<int, last - first + 1>{});
}

template <class T>
[[gnu::always_inline]] inline T unary(Op op, T x) {
    if constexpr (std::is_same_v<T, bool>) {
        switch (op) {
            case Op::kInvert:
                return !x;
            case Op::kAbs:
            case Op::kFloor:
            case Op::kCeil:
            case Op::kRound:
                return x;
            default:
                throw ValueError(std::string(op_name(op)) + " is not defined for bool");
        }
    } else if constexpr (std::is_integral_v<T>) {
        switch (op) {
            case Op::kNeg:
                return static_cast<T>(-x);
            case Op::kAbs:
                return x < 0 ? static_cast<T>(-x) : x;
            case Op::kInvert:
                return static_cast<T>(~x);
            case Op::kSign:
                return static_cast<T>((x > 0) - (x < 0));
            case Op::kFloor:
            case Op::kCeil:
            case Op::kRound:
                return x;
            default:
                throw ValueError(std::string(op_name(op)) + " needs a float operand");
        }
    } else {
        switch (op) {
            case Op::kNeg:
                return -x;
            case Op::kAbs:
                return std::abs(x);
            case Op::kSqrt:
                return std::sqrt(x);
            case Op::kSign:  // NaN stays NaN, and -0 gives 0, as NumPy
                return x > 0 ? T(1) : x < 0 ? T(-1) : x == 0 ? T(0) : x;
            case Op::kFloor:
                return std::floor(x);
            case Op::kCeil:
                return std::ceil(x);
            case Op::kRound:
                return std::nearbyint(x);  // half to even, as NumPy
            default:
                if (has_vector_math(op)) {  // one element through the same functions as a tile
                    T y;
                    vector_math(op, &x, &y, 1);
                    return y;
                }
                throw ValueError(std::string(op_name(op)) + " is not defined for floats");
        }
    }
}

template <class T>
[[gnu::always_inline]] inline T arithmetic(Op op, T x, T y) {
    if constexpr (std::is_same_v<T, bool>) {
        switch (op) {
            case Op::kAnd:
            case Op::kMul:
            case Op::kMinimum:
                return x && y;
            case Op::kOr:
            case Op::kAdd:
            case Op::kMaximum:
                return x || y;
            case Op::kXor:
                return x != y;
            default:
                throw ValueError(std::string(op_name(op)) + " is not defined for bool");
        }
    } else if constexpr (std::is_integral_v<T>) {
        // NumPy's integer arithmetic wraps: computed on the unsigned type, where overflow is
        // defined, and converted back (modular since C++20).
        using U = std::make_unsigned_t<T>;
        switch (op) {
            case Op::kAdd:
                return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
            case Op::kSub:
                return static_cast<T>(static_cast<U>(x) - static_cast<U>(y));
            case Op::kMul:
                return static_cast<T>(static_cast<U>(x) * static_cast<U>(y));
            case Op::kFloorDiv: {  // Python semantics; NumPy gives 0 for division by zero
                if (y == 0) return 0;
                if (y == -1) return static_cast<T>(U{0} - static_cast<U>(x));  // MIN // -1 wraps
                T q = static_cast<T>(x / y);
                if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
                return q;
            }
            case Op::kMod: {
                if (y == 0 || y == -1) return 0;  // MIN % -1 would trap
                T r = static_cast<T>(x % y);
                if (r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
                return r;
            }
            case Op::kPow: {
                if (y < 0) return x == 1 ? 1 : 0;
                U result = 1, base = static_cast<U>(x);
                for (auto e = y; e > 0; e >>= 1) {
                    if (e & 1) result *= base;
                    base *= base;
                }
                return static_cast<T>(result);
            }
            case Op::kMaximum:
                return std::max(x, y);
            case Op::kMinimum:
                return std::min(x, y);
            case Op::kAnd:
                return static_cast<T>(x & y);
            case Op::kOr:
                return static_cast<T>(x | y);
            case Op::kXor:
                return static_cast<T>(x ^ y);
            default:
                throw ValueError(std::string(op_name(op)) + " is not defined for integers");
        }
    } else {
        switch (op) {
            case Op::kAdd:
                return x + y;
            case Op::kSub:
                return x - y;
            case Op::kMul:
                return x * y;
            case Op::kDiv:
                return x / y;
            case Op::kFloorDiv:
                return std::floor(x / y);
            case Op::kMod: {
                if (y == 0) return std::numeric_limits<T>::quiet_NaN();
                T r = std::fmod(x, y);
                if (r != 0 && ((r < 0) != (y < 0))) r += y;
                return r;
            }
            case Op::kPow:
            case Op::kArctan2:
            case Op::kHypot: {
                T r;
                vector_math(op, &x, &y, &r, 1);
                return r;
            }
            case Op::kMaximum:
                return (x > y || std::isnan(x)) ? x : y;
            case Op::kMinimum:
                return (x < y || std::isnan(x)) ? x : y;
            default:
                throw ValueError(std::string(op_name(op)) + " is not defined for floats");
        }
    }
}

template <class T>
[[gnu::always_inline]] inline bool predicate(Op op, T x) {
    if constexpr (std::is_floating_point_v<T>) {
        switch (op) {
            case Op::kIsNan:
                return std::isnan(x);
            case Op::kIsInf:
                return std::isinf(x);
            default:
                return std::isfinite(x);
        }
    } else {
        return op == Op::kIsFinite;  // integers and bools are always finite
    }
}

/// x ** e for the exponents NumPy gives a cheaper exact form (x * x for 2, sqrt for 0.5, 1 / x
/// for -1, x for 1); false for any other.
template <class T>
bool power_by_constant(const T* x, double e, T* out, std::int64_t n) {
    if (e == 2) {
        for (std::int64_t k = 0; k < n; ++k) out[k] = x[k] * x[k];
    } else if (e == 0.5) {
        for (std::int64_t k = 0; k < n; ++k) out[k] = std::sqrt(x[k]);
    } else if (e == -1) {
        for (std::int64_t k = 0; k < n; ++k) out[k] = T(1) / x[k];
    } else if (e == 1) {
        std::copy_n(x, n, out);
    } else {
        return false;
    }
    return true;
}

/// The value of register `reg` when it is the same for every element: a constant, or a
/// constant converted.
std::optional<double> constant_value(const Program& p, std::uint16_t reg) {
    while (p.code[reg].op == Op::kCast) reg = p.code[reg].a;
    if (p.code[reg].op != Op::kConst) return std::nullopt;
    return p.code[reg].f;
}

template <class T>
[[gnu::always_inline]] inline bool compare(Op op, T x, T y) {
    switch (op) {
        case Op::kEqual:
            return x == y;
        case Op::kNotEqual:
            return x != y;
        case Op::kLess:
            return x < y;
        case Op::kLessEqual:
            return x <= y;
        case Op::kGreater:
            return x > y;
        case Op::kGreaterEqual:
            return x >= y;
        default:
            return false;
    }
}

/// Where each input's elements are, relative to the output block (0 stride: broadcast).
struct InputLayout {
    const std::byte* data;
    DType dtype;
    std::vector<std::int64_t> strides;  // in elements, per output dimension
    bool contiguous;                    // laid out as the output: element f at data[f - origin]
    std::int64_t origin = 0;            // the flat output index of data[0] when contiguous
    const BlockGenerator* generate = nullptr;  // made range by range (data is null)

    /// Neighbours along the output's rows are not neighbours in memory (a transposed block):
    /// gathering them element by element touches a cache line per element.
    bool strided() const {
        return !contiguous && strides.size() >= 2 && strides.back() != 0 && strides.back() != 1;
    }
};

std::vector<InputLayout> layouts(const Program& program, const std::vector<Operand>& inputs,
                                 const Shape& out_shape) {
    if (inputs.size() != program.num_inputs)
        throw ValueError("elementwise program wants " + std::to_string(program.num_inputs) +
                         " inputs, got " + std::to_string(inputs.size()));
    std::vector<InputLayout> out;
    const std::size_t nd = out_shape.size();
    for (const Operand& op : inputs) {
        if (op.generate) {
            if (!op.axes.empty()) throw ValueError("a generated elementwise input is read as made");
            out.push_back(InputLayout{nullptr, op.dtype, std::vector<std::int64_t>(nd, 0), false, 0,
                                      op.generate});
            continue;
        }
        const Shape& stored = op.block->shape();
        // The input as the program sees it: axes permuted, then padded on the left.
        std::vector<std::int64_t> stored_stride(stored.size(), 1);
        for (std::size_t d = stored.size(); d-- > 1;)
            stored_stride[d - 1] = stored_stride[d] * stored[d];
        if (!op.axes.empty() && op.axes.size() != stored.size())
            throw ValueError("elementwise operand axes do not match its rank");
        if (stored.size() > nd) throw ValueError("elementwise input rank exceeds the output's");
        Shape view(nd, 1);
        std::vector<std::int64_t> view_stride(nd, 0);
        bool identity = true;
        for (std::size_t d = 0; d < stored.size(); ++d) {
            const auto src = op.axes.empty() ? d : static_cast<std::size_t>(op.axes[d]);
            identity = identity && src == d;
            view[nd - stored.size() + d] = stored[src];
            view_stride[nd - stored.size() + d] = stored_stride[src];
        }
        InputLayout l{op.block->bytes(), op.block->dtype(), std::vector<std::int64_t>(nd, 0),
                      identity && view == out_shape};
        for (std::size_t d = 0; d < nd; ++d) {
            if (view[d] != out_shape[d] && view[d] != 1)
                throw ValueError("elementwise input does not broadcast to the output block");
            l.strides[d] = view[d] == 1 ? 0 : view_stride[d];
        }
        out.push_back(std::move(l));
    }
    return out;
}

std::vector<Operand> as_operands(const std::vector<const Buffer*>& inputs) {
    std::vector<Operand> ops;
    ops.reserve(inputs.size());
    for (const Buffer* b : inputs) ops.push_back({b, {}});
    return ops;
}

constexpr std::int64_t kTile = 512;

/// The registers of one tile of kTile elements. A register's values are where `at` points:
/// into an input block (contiguous inputs are read in place), into the register's own slot
/// (computed values, broadcast inputs, constants filled once) or into the caller's output (the
/// last instruction writes there directly).
struct Tile {
    explicit Tile(std::size_t registers)
        : storage(registers * kTile), at(registers, nullptr), constant_ready(registers, 0) {}
    template <class T>
    T* slot(std::size_t r) {
        return reinterpret_cast<T*>(storage.data() + r * kTile);
    }
    template <class T>
    const T* values(std::size_t r) const {
        return static_cast<const T*>(at[r]);
    }
    std::vector<std::int64_t> storage;
    std::vector<const void*> at;
    std::vector<char> constant_ready;
};

/// Runs instruction r for the n elements from flat index `start`, writing into `dest` (the
/// register's slot, or the output for the last instruction).
void run_instruction(const Program& p, std::size_t r, Tile& tile,
                     const std::vector<InputLayout>& in, const Shape& out_shape, std::int64_t start,
                     std::int64_t n, void* dest) {
    const Instr& ins = p.code[r];
    const bool to_slot = dest == tile.slot<char>(r);
    if (ins.op == Op::kInput) {
        const InputLayout& l = in[ins.a];
        visit_dtype(ins.dtype, [&](auto t) {
            using T = decltype(t);
            const T* src = reinterpret_cast<const T*>(l.data);
            auto in_place = [&](const T* values) {
                if (to_slot) {
                    tile.at[r] = values;
                } else {
                    std::memcpy(dest, values, static_cast<std::size_t>(n) * sizeof(T));
                    tile.at[r] = dest;
                }
            };
            if (l.contiguous) return in_place(src + (start - l.origin));
            // Broadcast or permuted input: find the tile start's position once, then step
            // along the last dimension and carry into the others.
            const std::size_t nd = out_shape.size();
            std::vector<std::int64_t> idx(nd);
            std::int64_t flat = start, offset = 0;
            for (std::size_t d = nd; d-- > 0;) {
                idx[d] = flat % out_shape[d];
                flat /= out_shape[d];
                offset += idx[d] * l.strides[d];
            }
            const std::int64_t last_stride = nd ? l.strides[nd - 1] : 0;
            const std::int64_t last_extent = nd ? out_shape[nd - 1] : 1;
            // A tile within one row of an input whose rows lie in memory as the output's (a
            // row broadcast down the block, such as x.mean(axis=0)) is read in place.
            if (last_stride == 1 && idx[nd - 1] + n <= last_extent) return in_place(src + offset);
            T* out = static_cast<T*>(dest);
            tile.at[r] = dest;
            for (std::int64_t k = 0; k < n; ++k) {
                out[k] = src[offset];
                if (nd == 0) continue;
                if (++idx[nd - 1] < last_extent) {
                    offset += last_stride;
                    continue;
                }
                offset -= (last_extent - 1) * last_stride;
                idx[nd - 1] = 0;
                for (std::size_t d = nd - 1; d-- > 0;) {
                    if (++idx[d] < out_shape[d]) {
                        offset += l.strides[d];
                        break;
                    }
                    offset -= (out_shape[d] - 1) * l.strides[d];
                    idx[d] = 0;
                }
            }
        });
        return;
    }
    if (ins.op == Op::kConst) {
        visit_dtype(ins.dtype, [&](auto t) {
            using T = decltype(t);
            const T v = std::is_floating_point_v<T> ? static_cast<T>(ins.f) : static_cast<T>(ins.i);
            if (!to_slot) {
                std::fill_n(static_cast<T*>(dest), n, v);
                tile.at[r] = dest;
                return;
            }
            if (!tile.constant_ready[r]) {  // the same values for every tile: filled once
                std::fill_n(tile.slot<T>(r), kTile, v);
                tile.constant_ready[r] = 1;
            }
            tile.at[r] = tile.slot<T>(r);
        });
        return;
    }
    tile.at[r] = dest;
    if (ins.op == Op::kCast) {
        visit_dtype(ins.dtype, [&](auto to) {
            using To = decltype(to);
            visit_dtype(p.code[ins.a].dtype, [&](auto from) {
                using From = decltype(from);
                const From* a = tile.values<From>(ins.a);
                To* out = static_cast<To*>(dest);
                for (std::int64_t k = 0; k < n; ++k) out[k] = static_cast<To>(a[k]);
            });
        });
        return;
    }
    if (ins.op == Op::kWhere) {
        const bool* cond = tile.values<bool>(ins.a);
        visit_dtype(ins.dtype, [&](auto t) {
            using T = decltype(t);
            const T* b = tile.values<T>(ins.b);
            const T* c = tile.values<T>(ins.c);
            T* out = static_cast<T*>(dest);
            for (std::int64_t k = 0; k < n; ++k) out[k] = cond[k] ? b[k] : c[k];
        });
        return;
    }
    visit_dtype(p.code[ins.a].dtype, [&](auto t) {
        using T = decltype(t);
        const T* a = tile.values<T>(ins.a);
        with_constant_op(ins.op, [&](auto op) {
            constexpr Op kOp = decltype(op)::value;
            if constexpr (is_unary(kOp)) {
                T* out = static_cast<T*>(dest);
                if constexpr (std::is_floating_point_v<T>) {
                    if constexpr (has_vector_math(kOp)) return vector_math(kOp, a, out, n);
                }
                for (std::int64_t k = 0; k < n; ++k) out[k] = unary(kOp, a[k]);
            } else if constexpr (is_predicate(kOp)) {
                bool* out = static_cast<bool*>(dest);
                for (std::int64_t k = 0; k < n; ++k) out[k] = predicate(kOp, a[k]);
            } else if constexpr (is_comparison(kOp)) {
                const T* b = tile.values<T>(ins.b);
                bool* out = static_cast<bool*>(dest);
                for (std::int64_t k = 0; k < n; ++k) out[k] = compare(kOp, a[k], b[k]);
            } else {
                const T* b = tile.values<T>(ins.b);
                T* out = static_cast<T*>(dest);
                if constexpr (std::is_floating_point_v<T>) {
                    if constexpr (kOp == Op::kPow) {
                        const auto e = constant_value(p, ins.b);
                        if (e && power_by_constant(a, *e, out, n)) return;
                    }
                    if constexpr (has_vector_math(kOp)) return vector_math(kOp, a, b, out, n);
                }
                for (std::int64_t k = 0; k < n; ++k) out[k] = arithmetic(kOp, a[k], b[k]);
            }
        });
    });
}

/// Runs the whole program for one tile; the result lands in `out`.
void run_tile(const Program& p, Tile& tile, const std::vector<InputLayout>& in,
              const Shape& out_shape, std::int64_t start, std::int64_t n, std::byte* out) {
    const std::size_t last = p.code.size() - 1;
    for (std::size_t r = 0; r < last; ++r)
        run_instruction(p, r, tile, in, out_shape, start, n, tile.slot<char>(r));
    run_instruction(p, last, tile, in, out_shape, start, n, out);
}

/// Elements per range: the unit of parallel work in evaluate(), and the rows staged at once
/// for strided inputs (128 KiB of float64).
constexpr std::int64_t kRangeElements = 1 << 14;

/// Copies the elements [start, start + count) of a strided input, in the output's order, to
/// `staged`: column by column over the range's rows, so that consecutive reads walk along the
/// input's memory rows (for a transposed block, the rows of a band share each cache line).
void stage_input(const InputLayout& l, const Shape& out_shape, std::int64_t start,
                 std::int64_t count, std::byte* staged) {
    const std::size_t nd = out_shape.size();
    const std::int64_t columns = out_shape[nd - 1], column_stride = l.strides[nd - 1];
    const std::int64_t end = start + count, row0 = start / columns,
                       rows = (end - 1) / columns - row0 + 1;
    std::vector<std::int64_t> base(
        static_cast<std::size_t>(rows));  // where each row starts in the input
    for (std::int64_t r = 0; r < rows; ++r) {
        std::int64_t rem = row0 + r, offset = 0;
        for (std::size_t d = nd - 1; d-- > 0;) {
            offset += rem % out_shape[d] * l.strides[d];
            rem /= out_shape[d];
        }
        base[static_cast<std::size_t>(r)] = offset;
    }
    visit_dtype(l.dtype, [&](auto t) {
        using T = decltype(t);
        const T* src = reinterpret_cast<const T*>(l.data);
        T* dst = reinterpret_cast<T*>(staged);
        const std::int64_t first_column = start - row0 * columns,
                           end_column = end - (row0 + rows - 1) * columns;
        const std::int64_t span =
            (base.back() - base.front()) * static_cast<std::int64_t>(sizeof(T));
        for (std::int64_t j = 0; j < columns; ++j) {
            // Each column sits in another page: the hardware prefetchers do not follow.
            if (j + 16 < columns && span >= 0 && span < 1024) {
                const char* next =
                    reinterpret_cast<const char*>(src + base.front() + (j + 16) * column_stride);
                for (std::int64_t b = 0; b <= span; b += 64) __builtin_prefetch(next + b);
            }
            const std::int64_t r_begin = j < first_column ? 1 : 0,
                               r_end = j < end_column ? rows : rows - 1;
            for (std::int64_t r = r_begin; r < r_end; ++r)
                dst[(row0 + r) * columns + j - start] =
                    src[base[static_cast<std::size_t>(r)] + j * column_stride];
        }
    });
}

/// Per-thread state of a run over ranges: the tile's registers and the staged inputs.
struct RangeRunner {
    /// Generated inputs are always made range by range; strided ones are staged unless
    /// `stage_strided` is false (the reference gathers them element by element).
    RangeRunner(const Program& p, const std::vector<InputLayout>& layouts,
                bool stage_strided = true)
        : program(p), in(layouts), view(layouts), tile(p.code.size()) {
        for (std::size_t i = 0; i < in.size(); ++i)
            if (in[i].generate || (stage_strided && in[i].strided())) staged.push_back({i, {}});
    }

    /// Runs the program over the flat output range [start, start + count), writing to `out`.
    void run(const Shape& out_shape, std::int64_t start, std::int64_t count, std::byte* out) {
        const auto elem = static_cast<std::int64_t>(dtype_size(program.result_dtype()));
        each_tile(out_shape, start, count, [&](std::int64_t at, std::int64_t n) {
            run_tile(program, tile, view, out_shape, at, n, out + (at - start) * elem);
        });
    }

    /// The same, handing each tile's values to `sink` while they are in L1 instead of storing them.
    void run(const Shape& out_shape, std::int64_t start, std::int64_t count, const TileSink& sink) {
        sink_tile.resize(kTile);
        auto* values = reinterpret_cast<std::byte*>(sink_tile.data());
        each_tile(out_shape, start, count, [&](std::int64_t at, std::int64_t n) {
            run_tile(program, tile, view, out_shape, at, n, values);
            sink(at, n, values);
        });
    }

    /// Makes the generated and strided inputs of [start, start + count), then calls
    /// `tile_at(at, n)` for tiles of at most kTile elements in order. Tiles stop at row ends
    /// when rows are long, so row-broadcast inputs are read in place.
    template <class F>
    void each_tile(const Shape& out_shape, std::int64_t start, std::int64_t count, F&& tile_at) {
        for (auto& [input, values] : staged) {
            values.resize((static_cast<std::size_t>(count) * dtype_size(in[input].dtype) + 7) /
                          8);  // 8-byte words
            auto* at = reinterpret_cast<std::byte*>(values.data());
            if (in[input].generate)
                (*in[input].generate)(start, count, at);
            else
                stage_input(in[input], out_shape, start, count, at);
            view[input].data = at;
            view[input].contiguous = true;
            view[input].origin = start;
        }
        const std::int64_t columns = out_shape.empty() ? 1 : out_shape.back();
        for (std::int64_t at = start, end = start + count; at < end;) {
            std::int64_t n = std::min(kTile, end - at);
            if (columns >= kTile) n = std::min(n, columns - at % columns);
            tile_at(at, n);
            at += n;
        }
    }

    const Program& program;
    const std::vector<InputLayout>& in;
    std::vector<InputLayout> view;  // `in` with the strided inputs replaced by their staged copies
    Tile tile;
    std::vector<std::pair<std::size_t, std::vector<std::int64_t>>> staged;
    std::vector<std::int64_t> sink_tile;  // a tile's result when it goes to a sink
};

}  // namespace

double unary_scalar(Op op, double x) {
    if (!is_unary(op)) throw ValueError(std::string(op_name(op)) + " is not a unary operation");
    return unary<double>(op, x);
}

bool op_defined(Op op, DType dtype) {
    if (!is_unary(op) && (!is_binary(op) || is_comparison(op))) return true;
    // The kernels' own cases decide: one they do not define throws there.
    try {
        visit_dtype(dtype, [&](auto t) {
            using T = decltype(t);
            if (is_unary(op))
                (void)unary<T>(op, T(1));
            else
                (void)arithmetic<T>(op, T(1), T(1));
        });
        return true;
    } catch (const ValueError&) {
        return false;
    }
}

void Program::validate() const {
    if (code.empty()) throw ValueError("empty elementwise program");
    for (std::size_t r = 0; r < code.size(); ++r) {
        const Instr& ins = code[r];
        auto operand = [&](std::uint16_t reg) -> DType {
            if (reg >= r) throw ValueError("elementwise program refers to a later register");
            return code[reg].dtype;
        };
        if (ins.op == Op::kInput) {
            if (ins.a >= num_inputs) throw ValueError("elementwise program reads a missing input");
        } else if (ins.op == Op::kCast) {
            operand(ins.a);
        } else if (ins.op == Op::kWhere) {
            if (operand(ins.a) != DType::kBool || operand(ins.b) != ins.dtype ||
                operand(ins.c) != ins.dtype)
                throw ValueError("where: operand dtypes do not match");
        } else if (is_predicate(ins.op)) {
            operand(ins.a);
            if (ins.dtype != DType::kBool)
                throw ValueError(std::string(op_name(ins.op)) + ": wrong result dtype");
        } else if (is_unary(ins.op)) {
            if (operand(ins.a) != ins.dtype) throw ValueError("unary operand dtype mismatch");
            if (!op_defined(ins.op, ins.dtype))
                throw ValueError(std::string(op_name(ins.op)) + " is not defined for " +
                                 std::string(dtype_name(ins.dtype)));
        } else if (is_binary(ins.op)) {
            const DType a = operand(ins.a), b = operand(ins.b);
            if (a != b) throw ValueError(std::string(op_name(ins.op)) + ": operand dtypes differ");
            if (!op_defined(ins.op, a))
                throw ValueError(std::string(op_name(ins.op)) + " is not defined for " +
                                 std::string(dtype_name(a)));
            if ((is_comparison(ins.op) ? DType::kBool : a) != ins.dtype)
                throw ValueError(std::string(op_name(ins.op)) + ": wrong result dtype");
        }
    }
}

Buffer evaluate(const Program& program, const std::vector<const Buffer*>& inputs,
                const Shape& out_shape) {
    return evaluate(program, as_operands(inputs), out_shape);
}

Buffer evaluate(const Program& program, const std::vector<Operand>& inputs,
                const Shape& out_shape) {
    const auto in = layouts(program, inputs, out_shape);
    Buffer out(program.result_dtype(), out_shape);
    const std::int64_t total = out.size();
    // Ranges of whole rows where rows are short: a strided input's staged rows then share
    // cache lines.
    const std::int64_t columns =
        out_shape.empty() ? 1 : std::max<std::int64_t>(out_shape.back(), 1);
    const std::int64_t range =
        columns >= kRangeElements ? kRangeElements : kRangeElements / columns * columns;
    const std::int64_t ranges = (total + range - 1) / range;
    const std::size_t elem = dtype_size(out.dtype());
    // No exception may leave the OpenMP region: the first one is kept and thrown after it.
    std::exception_ptr failure;
#pragma omp parallel
    {
        std::optional<RangeRunner> runner;
#pragma omp for schedule(static)
        for (std::int64_t k = 0; k < ranges; ++k) {
            try {
                if (!runner) runner.emplace(program, in);
                const std::int64_t start = k * range;
                runner->run(out_shape, start, std::min(range, total - start),
                            out.bytes() + start * static_cast<std::int64_t>(elem));
            } catch (...) {
#pragma omp critical(tessera_evaluate_failure)
                if (!failure) failure = std::current_exception();
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
    return out;
}

void evaluate_range(const Program& program, const std::vector<Operand>& inputs,
                    const Shape& out_shape, std::int64_t start, std::int64_t count,
                    std::byte* out) {
    if (count <= 0) return;
    const auto in = layouts(program, inputs, out_shape);
    RangeRunner(program, in).run(out_shape, start, count, out);
}

void evaluate_range(const Program& program, const std::vector<Operand>& inputs,
                    const Shape& out_shape, std::int64_t start, std::int64_t count,
                    const TileSink& sink) {
    if (count <= 0) return;
    const auto in = layouts(program, inputs, out_shape);
    RangeRunner(program, in).run(out_shape, start, count, sink);
}

Buffer evaluate_reference(const Program& program, const std::vector<Operand>& inputs,
                          const Shape& out_shape) {
    const auto in = layouts(program, inputs, out_shape);
    Buffer out(program.result_dtype(), out_shape);
    const std::size_t elem = dtype_size(out.dtype());
    RangeRunner runner(program, in, false);
    for (std::int64_t flat = 0; flat < out.size(); ++flat)
        runner.run(out_shape, flat, 1, out.bytes() + flat * static_cast<std::int64_t>(elem));
    return out;
}

}  // namespace tessera::kernels
