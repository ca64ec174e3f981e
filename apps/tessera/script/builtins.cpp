// The names a script starts with: Python's builtins (print, len, int, ...), the array
// namespace under NumPy's and Dask's names (np, da, random, the array functions themselves),
// and the attributes and methods of arrays.
#include <chrono>
#include <cmath>
#include <limits>
#include <ostream>

#include "builtin_kernels.hpp"
#include "convert.hpp"
#include "tessera/kernels/dtype.hpp"
#include "tessera/linalg.hpp"

namespace tessera::script {

namespace {

using Members = std::map<std::string, Value>;

/// abs of a 64-bit int; abs(-2**63) does not fit.
std::int64_t checked_abs(std::int64_t x, Span where) {
    if (x == std::numeric_limits<std::int64_t>::min())
        throw ScriptError("integer overflow: abs(" + std::to_string(x) +
                              ") is outside the 64-bit integers of tessera scripts",
                          where);
    return x < 0 ? -x : x;
}
using Body = std::function<Value(CallArgs&)>;

Value function(std::string name, Body body) {
    return FunctionPtr(
        std::make_shared<const Function>(Function{std::move(name), std::move(body)}));
}

void define(Members& m, const std::string& name, Body body) {
    m[name] = function(name, std::move(body));
}

/// A method: the function with `self` as its first argument.
Value bind_method(const std::string& name, const Value& self, const FunctionPtr& f) {
    return function("Array." + name, [self, f](CallArgs& args) {
        args.positional.insert(args.positional.begin(), Argument{self, args.span});
        return f->call(args);
    });
}

Array array_argument(const CallArgs& args, const std::string& name) {
    const Argument& a = required(args, name);
    return to_array(a.value, a.span, args.function + "(): '" + name + "'");
}

/// Computes a 0-d array into a Python number (as NumPy scalars print).
Value python_number(const Buffer& b) {
    return kernels::visit_dtype(b.dtype(), [&](auto t) -> Value {
        using T = decltype(t);
        const T v = b.data<T>()[0];
        if constexpr (std::is_same_v<T, bool>)
            return v;
        else if constexpr (std::is_floating_point_v<T>)
            return static_cast<double>(v);
        else
            return static_cast<std::int64_t>(v);
    });
}

/// Stops --explain where the rest of the script needs a computed value.
void refuse_under_explain(const CallArgs& args, const std::string& what) {
    if (args.interpreter->options().explain)
        throw ScriptError(
            "--explain stops here: " + what +
                " needs computed values, and --explain computes nothing (the plans above cover "
                "the script up to this line)",
            args.span);
}

// ---------------------------------------------------------------------------------------------
// Creation

void define_creation(Members& m) {
    auto shaped = [&m](const std::string& name, auto make) {
        define(m, name, [name, make](CallArgs& a) {
            a.bind({"shape", "dtype", "chunks"}, 1);
            const Shape shape = to_shape(required(a, "shape").value, required(a, "shape").span,
                                         name + "(): 'shape'");
            const DType dtype = argument(a, "dtype", to_dtype, DType::kFloat64);
            return Value(
                make(shape, argument(a, "chunks", to_chunks, ChunkSpec::automatic()), dtype));
        });
    };
    shaped("ones", [](const Shape& s, const ChunkSpec& c, DType d) { return ones(s, c, d); });
    shaped("zeros", [](const Shape& s, const ChunkSpec& c, DType d) { return zeros(s, c, d); });
    shaped("empty", [](const Shape& s, const ChunkSpec& c, DType d) { return empty(s, c, d); });
    auto like = [&m](const std::string& name, double value) {
        define(m, name, [name, value](CallArgs& a) {
            a.bind({"a", "dtype", "chunks"}, 1);
            const Array x = array_argument(a, "a");
            const DType dtype = argument(a, "dtype", to_dtype, x.dtype());
            const ChunkSpec chunks = a.get("chunks")
                                         ? argument(a, "chunks", to_chunks, ChunkSpec::automatic())
                                         : ChunkSpec(x.chunks());
            return Value(full(x.shape(), value, chunks, dtype));
        });
    };
    like("ones_like", 1);
    like("zeros_like", 0);
    define(m, "full", [](CallArgs& a) {
        a.bind({"shape", "fill_value", "dtype", "chunks"}, 2);
        const Argument& v = required(a, "fill_value");
        const auto value = as_scalar(v.value);
        if (!value)
            throw a.error("fill_value",
                          "'fill_value' must be a number, not '" + type_name(v.value) + "'");
        std::optional<DType> dtype;
        if (a.get("dtype")) dtype = argument(a, "dtype", to_dtype, DType::kFloat64);
        return Value(
            full(to_shape(required(a, "shape").value, required(a, "shape").span, "full(): 'shape'"),
                 *value, argument(a, "chunks", to_chunks, ChunkSpec::automatic()), dtype));
    });
    define(m, "arange", [](CallArgs& a) {
        a.bind({"start", "stop", "step", "dtype", "chunks"}, 1);
        double start = argument(a, "start", to_float, 0.0);
        double stop = 0;
        if (a.get("stop"))
            stop = argument(a, "stop", to_float, 0.0);
        else
            std::swap(start, stop);  // arange(n): 0 .. n
        std::optional<DType> dtype;
        if (a.get("dtype"))
            dtype = argument(a, "dtype", to_dtype, DType::kFloat64);
        else {
            bool all_int = true;
            for (const char* p : {"start", "stop", "step"})
                if (const Argument* x = a.get(p); x && x->value.is<double>()) all_int = false;
            dtype = all_int ? DType::kInt64 : DType::kFloat64;
        }
        return Value(arange(start, stop, argument(a, "step", to_float, 1.0),
                            argument(a, "chunks", to_chunks, ChunkSpec::automatic()), dtype));
    });
    define(m, "linspace", [](CallArgs& a) {
        a.bind({"start", "stop", "num", "endpoint", "dtype", "chunks"}, 2);
        return Value(linspace(argument(a, "start", to_float, 0.0),
                              argument(a, "stop", to_float, 0.0),
                              argument(a, "num", to_int, std::int64_t{50}),
                              argument(a, "chunks", to_chunks, ChunkSpec::automatic()),
                              argument(a, "endpoint", to_bool, true),
                              argument(a, "dtype", to_dtype, DType::kFloat64)));
    });
    define(m, "eye", [](CallArgs& a) {
        a.bind({"N", "M", "k", "dtype", "chunks"}, 1);
        std::optional<std::int64_t> cols;
        if (a.get("M")) cols = argument(a, "M", to_int, std::int64_t{0});
        return Value(eye(argument(a, "N", to_int, std::int64_t{0}), cols,
                         argument(a, "k", to_int, std::int64_t{0}),
                         argument(a, "chunks", to_chunks, ChunkSpec::automatic()),
                         argument(a, "dtype", to_dtype, DType::kFloat64)));
    });
    auto asarray = [](CallArgs& a) {
        a.bind({"object", "dtype", "chunks"}, 1);
        const Argument& o = required(a, "object");
        Array x = to_array(o.value, o.span, a.function + "(): 'object'");
        if (a.get("chunks"))
            x = x.rechunk(argument(a, "chunks", to_chunks, ChunkSpec::automatic()));
        if (a.get("dtype")) x = x.astype(argument(a, "dtype", to_dtype, DType::kFloat64));
        return Value(x);
    };
    define(m, "array", asarray);
    define(m, "asarray", asarray);
}

Members random_namespace() {
    Members r;
    // Dask's and NumPy's parameter names; `seed` picks the counter-based stream.
    auto shape_of = [](const CallArgs& a) {
        const Argument* s = a.get("size");
        if (!s)
            throw ScriptError(
                a.function + "(): 'size' (the shape) is required by tessera's random arrays",
                a.span);
        return to_shape(s->value, s->span, a.function + "(): 'size'");
    };
    auto seed_of = [](const CallArgs& a) {
        const std::int64_t seed = argument(a, "seed", to_int, std::int64_t{0});
        if (seed < 0) throw a.error("seed", "'seed' must be non-negative");
        return static_cast<std::uint64_t>(seed);
    };
    auto chunks_of = [](const CallArgs& a) {
        return argument(a, "chunks", to_chunks, ChunkSpec::automatic());
    };
    define(r, "random", [=](CallArgs& a) {
        a.bind({"size", "chunks", "seed"}, 1);
        return Value(random::random(shape_of(a), chunks_of(a), seed_of(a)));
    });
    define(r, "uniform", [=](CallArgs& a) {
        a.bind({"low", "high", "size", "chunks", "seed"}, 0);
        return Value(random::uniform(argument(a, "low", to_float, 0.0),
                                     argument(a, "high", to_float, 1.0), shape_of(a), chunks_of(a),
                                     seed_of(a)));
    });
    define(r, "normal", [=](CallArgs& a) {
        a.bind({"loc", "scale", "size", "chunks", "seed"}, 0);
        return Value(random::normal(argument(a, "loc", to_float, 0.0),
                                    argument(a, "scale", to_float, 1.0), shape_of(a), chunks_of(a),
                                    seed_of(a)));
    });
    define(r, "standard_normal", [=](CallArgs& a) {
        a.bind({"size", "chunks", "seed"}, 1);
        return Value(random::normal(0.0, 1.0, shape_of(a), chunks_of(a), seed_of(a)));
    });
    define(r, "integers", [=](CallArgs& a) {
        a.bind({"low", "high", "size", "chunks", "seed"}, 1);
        std::int64_t low = argument(a, "low", to_int, std::int64_t{0});
        std::int64_t high = 0;
        if (a.get("high"))
            high = argument(a, "high", to_int, std::int64_t{0});
        else
            std::swap(low, high);  // integers(n): 0 .. n-1
        return Value(random::integers(low, high, shape_of(a), chunks_of(a), seed_of(a)));
    });
    return r;
}

// ---------------------------------------------------------------------------------------------
// linalg (np.linalg, da.linalg): factorisations return tuples, as NumPy's do

/// Python's `time`, for timing parts of a script: the clocks of rank 0, which runs it.
Members time_namespace() {
    Members t;
    auto seconds = [](auto clock_now) {
        return std::chrono::duration<double>(clock_now.time_since_epoch()).count();
    };
    define(t, "perf_counter", [=](CallArgs& a) {
        a.bind({}, 0);
        return Value(seconds(std::chrono::steady_clock::now()));
    });
    t["monotonic"] = t.at("perf_counter");
    define(t, "time", [=](CallArgs& a) {
        a.bind({}, 0);
        return Value(seconds(std::chrono::system_clock::now()));
    });
    return t;
}

Members linalg_namespace() {
    Members l;
    auto pair = [](const Array& a, const Array& b) { return make_tuple({Value(a), Value(b)}); };
    auto triple = [](const linalg::SVD& f) {
        return make_tuple({Value(f.u), Value(f.s), Value(f.vt)});
    };
    auto qr_body = [=](CallArgs& a) {
        a.bind({"a", "mode"}, 1);
        const std::string mode = argument(a, "mode", to_string, std::string("reduced"));
        const linalg::QR f = linalg::qr(array_argument(a, "a"), mode);
        return mode == "r" ? Value(f.r) : pair(f.q, f.r);
    };
    define(l, "qr", qr_body);
    define(l, "tsqr", [=](CallArgs& a) {
        a.bind({"data"}, 1);
        const linalg::QR f = linalg::tsqr(array_argument(a, "data"));
        return pair(f.q, f.r);
    });
    define(l, "sfqr", [=](CallArgs& a) {
        a.bind({"data"}, 1);
        const linalg::QR f = linalg::sfqr(array_argument(a, "data"));
        return pair(f.q, f.r);
    });
    define(l, "svd", [=](CallArgs& a) {
        a.bind({"a", "full_matrices", "compute_uv"}, 1);
        if (argument(a, "full_matrices", to_bool, false))
            throw a.error("full_matrices",
                          "svd(): tessera gives the reduced SVD only (full_matrices=False), "
                          "as Dask does");
        const bool uv = argument(a, "compute_uv", to_bool, true);
        const linalg::SVD f = linalg::svd(array_argument(a, "a"), uv);
        return uv ? triple(f) : Value(f.s);
    });
    define(l, "svd_compressed", [=](CallArgs& a) {
        a.bind({"a", "k", "n_power_iter", "n_oversamples", "seed", "compute", "coerce_signs"}, 2);
        const std::int64_t seed = argument(a, "seed", to_int, std::int64_t{0});
        if (seed < 0) throw a.error("seed", "'seed' must be non-negative");
        return triple(linalg::svd_compressed(
            array_argument(a, "a"), argument(a, "k", to_int, std::int64_t{0}),
            static_cast<int>(argument(a, "n_power_iter", to_int, std::int64_t{0})),
            argument(a, "n_oversamples", to_int, std::int64_t{10}),
            static_cast<std::uint64_t>(seed)));
    });
    define(l, "cholesky", [](CallArgs& a) {
        a.bind({"a", "lower"}, 1);
        return Value(linalg::cholesky(array_argument(a, "a"), argument(a, "lower", to_bool, true)));
    });
    define(l, "solve", [](CallArgs& a) {
        a.bind({"a", "b", "assume_a"}, 2);
        return Value(linalg::solve(array_argument(a, "a"), array_argument(a, "b"),
                                   argument(a, "assume_a", to_string, std::string("gen"))));
    });
    define(l, "solve_triangular", [](CallArgs& a) {
        a.bind({"a", "b", "lower"}, 2);
        return Value(linalg::solve_triangular(array_argument(a, "a"), array_argument(a, "b"),
                                              argument(a, "lower", to_bool, false)));
    });
    define(l, "inv", [](CallArgs& a) {
        a.bind({"a"}, 1);
        return Value(linalg::inv(array_argument(a, "a")));
    });
    define(l, "lstsq", [](CallArgs& a) {
        a.bind({"a", "b", "rcond"}, 2);
        std::optional<double> rcond;
        if (a.get("rcond")) rcond = argument(a, "rcond", to_float, 0.0);
        const linalg::LeastSquares f =
            linalg::lstsq(array_argument(a, "a"), array_argument(a, "b"), rcond);
        return make_tuple({Value(f.x), Value(f.residuals), Value(f.rank), Value(f.s)});
    });
    define(l, "norm", [](CallArgs& a) {
        a.bind({"x", "ord", "axis", "keepdims"}, 1);
        linalg::NormOrder ord;
        if (const Argument* o = a.get("ord"))
            ord = o->value.is<std::string>()
                      ? linalg::NormOrder(o->value.as<std::string>())
                      : linalg::NormOrder(to_float(o->value, o->span, a.function + "(): 'ord'"));
        const Argument* axis = a.get("axis");
        const Axes axes =
            axis ? to_axes(axis->value, axis->span, a.function + "(): 'axis'") : Axes{};
        return Value(linalg::norm(array_argument(a, "x"), ord, axes,
                                  argument(a, "keepdims", to_bool, false)));
    });
    return l;
}

// ---------------------------------------------------------------------------------------------
// Elementwise and reductions

void define_elementwise(Members& m) {
    using Unary = Array (*)(const Array&);
    using kernels::Op;
    const std::vector<std::tuple<const char*, Unary, Op>> unary = {
        {"abs", &tessera::abs, Op::kAbs},
        {"absolute", &tessera::abs, Op::kAbs},
        {"sqrt", &tessera::sqrt, Op::kSqrt},
        {"exp", &tessera::exp, Op::kExp},
        {"exp2", &tessera::exp2, Op::kExp2},
        {"expm1", &tessera::expm1, Op::kExpm1},
        {"log", &tessera::log, Op::kLog},
        {"log2", &tessera::log2, Op::kLog2},
        {"log10", &tessera::log10, Op::kLog10},
        {"log1p", &tessera::log1p, Op::kLog1p},
        {"sin", &tessera::sin, Op::kSin},
        {"cos", &tessera::cos, Op::kCos},
        {"tan", &tessera::tan, Op::kTan},
        {"arcsin", &tessera::arcsin, Op::kArcsin},
        {"arccos", &tessera::arccos, Op::kArccos},
        {"arctan", &tessera::arctan, Op::kArctan},
        {"sinh", &tessera::sinh, Op::kSinh},
        {"cosh", &tessera::cosh, Op::kCosh},
        {"tanh", &tessera::tanh, Op::kTanh},
        {"arcsinh", &tessera::arcsinh, Op::kArcsinh},
        {"arccosh", &tessera::arccosh, Op::kArccosh},
        {"arctanh", &tessera::arctanh, Op::kArctanh},
        {"cbrt", &tessera::cbrt, Op::kCbrt},
        {"sign", &tessera::sign, Op::kSign},
        {"floor", &tessera::floor, Op::kFloor},
        {"ceil", &tessera::ceil, Op::kCeil},
        {"round", &tessera::round, Op::kRound},
    };
    for (const auto& [name, on_array, op] : unary) {
        define(m, name, [on_array = on_array, op = op](CallArgs& a) {
            a.bind({"x"}, 1);
            const Argument& x = required(a, "x");
            if (is_number(x.value))  // a NumPy float scalar
                return Value(kernels::unary_scalar(op, number_of(x.value)));
            return Value(on_array(to_array(x.value, x.span, a.function + "(): 'x'")));
        });
    }
    using Binary = Array (*)(const Array&, const Array&);
    const std::vector<std::pair<const char*, Binary>> binary = {
        {"maximum", &tessera::maximum}, {"minimum", &tessera::minimum},
        {"power", &tessera::power},     {"floor_divide", &tessera::floor_divide},
        {"matmul", &tessera::matmul},   {"arctan2", &tessera::arctan2},
        {"hypot", &tessera::hypot},
    };
    for (const auto& [name, op] : binary) {
        define(m, name, [op = op](CallArgs& a) {
            a.bind({"x1", "x2"}, 2);
            return Value(op(array_argument(a, "x1"), array_argument(a, "x2")));
        });
    }
    for (const char* name :
         {"add", "subtract", "multiply", "divide", "true_divide", "mod", "remainder", "equal",
          "not_equal", "less", "less_equal", "greater", "greater_equal"}) {
        static const std::map<std::string, std::string> symbol = {
            {"add", "+"},           {"subtract", "-"}, {"multiply", "*"},    {"divide", "/"},
            {"true_divide", "/"},   {"mod", "%"},      {"remainder", "%"},   {"equal", "=="},
            {"not_equal", "!="},    {"less", "<"},     {"less_equal", "<="}, {"greater", ">"},
            {"greater_equal", ">="}};
        define(m, name, [op = symbol.at(name)](CallArgs& a) {
            a.bind({"x1", "x2"}, 2);
            return binary_operation(op, required(a, "x1").value, required(a, "x2").value, a.span);
        });
    }
    define(m, "dot", [](CallArgs& a) {
        a.bind({"a", "b"}, 2);
        return Value(array_argument(a, "a").dot(array_argument(a, "b")));
    });
    for (const auto& [name, test] :
         std::vector<std::pair<const char*, Unary>>{{"isnan", &tessera::isnan},
                                                    {"isinf", &tessera::isinf},
                                                    {"isfinite", &tessera::isfinite}}) {
        define(m, name, [test = test](CallArgs& a) {
            a.bind({"x"}, 1);
            return Value(test(array_argument(a, "x")));
        });
    }
    define(m, "nan_to_num", [](CallArgs& a) {
        a.bind({"x", "copy", "nan", "posinf", "neginf"}, 1);
        auto bound = [&](const char* p) -> std::optional<double> {
            const Argument* v = a.get(p);
            if (!v) return std::nullopt;
            return to_float(v->value, v->span, a.function + "(): '" + p + "'");
        };
        return Value(nan_to_num(array_argument(a, "x"), bound("nan").value_or(0.0), bound("posinf"),
                                bound("neginf")));
    });
    define(m, "where", [](CallArgs& a) {
        a.bind({"condition", "x", "y"}, 3);
        return Value(
            where(array_argument(a, "condition"), array_argument(a, "x"), array_argument(a, "y")));
    });
    define(m, "clip", [](CallArgs& a) {
        a.bind({"a", "a_min", "a_max"}, 1);
        auto bound = [&](const char* p) -> std::optional<Scalar> {
            const Argument* x = a.get(p);
            if (!x) return std::nullopt;
            auto s = as_scalar(x->value);
            if (!s) throw a.error(p, std::string("'") + p + "' must be a number or None");
            return s;
        };
        return Value(clip(array_argument(a, "a"), bound("a_min"), bound("a_max")));
    });
    define(m, "astype", [](CallArgs& a) {
        a.bind({"x", "dtype"}, 2);
        return Value(
            array_argument(a, "x").astype(argument(a, "dtype", to_dtype, DType::kFloat64)));
    });
}

void define_reductions(Members& m) {
    using kernels::Reduction;
    const std::vector<std::pair<const char*, Reduction>> ops = {
        {"sum", Reduction::kSum}, {"prod", Reduction::kProd}, {"mean", Reduction::kMean},
        {"var", Reduction::kVar}, {"std", Reduction::kStd},   {"min", Reduction::kMin},
        {"max", Reduction::kMax}, {"any", Reduction::kAny},   {"all", Reduction::kAll},
    };
    for (const auto& [base, op] : ops) {
        for (bool skip_nan : {false, true}) {
            if (skip_nan && (op == Reduction::kAny || op == Reduction::kAll)) continue;
            const std::string name = (skip_nan ? "nan" : "") + std::string(base);
            const bool has_ddof = op == Reduction::kVar || op == Reduction::kStd;
            define(m, name, [op = op, skip_nan, has_ddof](CallArgs& a) {
                std::vector<std::string> params = {"a", "axis", "keepdims", "split_every"};
                if (has_ddof) params.insert(params.begin() + 2, "ddof");
                a.bind(params, 1);
                const Argument* axis = a.get("axis");
                const Axes axes =
                    axis ? to_axes(axis->value, axis->span, a.function + "(): 'axis'") : Axes{};
                const auto split_every = argument(a, "split_every", to_int, std::int64_t{8});
                if (split_every < 2)
                    throw a.error("split_every", "'split_every' must be at least 2");
                return Value(array_argument(a, "a").reduce(
                    op, axes, argument(a, "keepdims", to_bool, false), skip_nan,
                    argument(a, "ddof", to_int, std::int64_t{0}), static_cast<int>(split_every)));
            });
        }
    }
    for (const auto& [name, is_max] : {std::pair{"argmin", false}, std::pair{"argmax", true}}) {
        define(m, name, [is_max = is_max](CallArgs& a) {
            a.bind({"a", "axis"}, 1);
            std::optional<int> axis;
            if (a.get("axis"))
                axis = static_cast<int>(argument(a, "axis", to_int, std::int64_t{0}));
            const Array x = array_argument(a, "a");
            return Value(is_max ? x.argmax(axis) : x.argmin(axis));
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Structure

std::vector<Array> array_list(const CallArgs& a, const std::string& name) {
    const Argument& arg = required(a, name);
    const Values* items = arg.value.is<List>()    ? arg.value.as<List>().items.get()
                          : arg.value.is<Tuple>() ? arg.value.as<Tuple>().items.get()
                                                  : nullptr;
    if (!items)
        throw a.error(name, "'" + name + "' must be a list or tuple of arrays, not '" +
                                type_name(arg.value) + "'");
    std::vector<Array> out;
    for (const auto& v : *items)
        out.push_back(to_array(v, arg.span, a.function + "(): an element of '" + name + "'"));
    return out;
}

void define_structure(Members& m) {
    define(m, "transpose", [](CallArgs& a) {
        a.bind({"a", "axes"}, 1);
        std::vector<int> axes;
        if (const Argument* x = a.get("axes"))
            axes = to_axes(x->value, x->span, "transpose(): 'axes'");
        return Value(array_argument(a, "a").transpose(axes));
    });
    define(m, "reshape", [](CallArgs& a) {
        a.bind({"a", "shape"}, 2);
        const Argument& s = required(a, "shape");
        return Value(
            array_argument(a, "a").reshape(to_shape(s.value, s.span, "reshape(): 'shape'")));
    });
    define(m, "squeeze", [](CallArgs& a) {
        a.bind({"a", "axis"}, 1);
        Axes axes;
        if (const Argument* x = a.get("axis"))
            axes = to_axes(x->value, x->span, "squeeze(): 'axis'");
        return Value(array_argument(a, "a").squeeze(axes));
    });
    define(m, "expand_dims", [](CallArgs& a) {
        a.bind({"a", "axis"}, 2);
        return Value(array_argument(a, "a").expand_dims(
            static_cast<int>(argument(a, "axis", to_int, std::int64_t{0}))));
    });
    define(m, "broadcast_to", [](CallArgs& a) {
        a.bind({"array", "shape"}, 2);
        const Argument& s = required(a, "shape");
        return Value(array_argument(a, "array")
                         .broadcast_to(to_shape(s.value, s.span, "broadcast_to(): 'shape'")));
    });
    define(m, "concatenate", [](CallArgs& a) {
        a.bind({"arrays", "axis"}, 1);
        return Value(concatenate(array_list(a, "arrays"),
                                 static_cast<int>(argument(a, "axis", to_int, std::int64_t{0}))));
    });
    define(m, "stack", [](CallArgs& a) {
        a.bind({"arrays", "axis"}, 1);
        return Value(stack(array_list(a, "arrays"),
                           static_cast<int>(argument(a, "axis", to_int, std::int64_t{0}))));
    });
    define(m, "tensordot", [](CallArgs& a) {
        a.bind({"a", "b", "axes"}, 2);
        const Array x = array_argument(a, "a"), y = array_argument(a, "b");
        std::vector<int> xa, ya;
        const Argument* axes = a.get("axes");
        if (!axes || axes->value.is<std::int64_t>()) {
            const std::int64_t n = axes ? axes->value.as<std::int64_t>() : 2;  // NumPy's default
            if (n < 0 || n > x.ndim() || n > y.ndim())
                throw a.error("axes", "'axes' is larger than the arrays' ranks");
            for (std::int64_t i = 0; i < n; ++i) {
                xa.push_back(static_cast<int>(x.ndim() - n + i));
                ya.push_back(static_cast<int>(i));
            }
        } else {
            const Values* pair = axes->value.is<Tuple>()  ? axes->value.as<Tuple>().items.get()
                                 : axes->value.is<List>() ? axes->value.as<List>().items.get()
                                                          : nullptr;
            if (!pair || pair->size() != 2)
                throw a.error("axes", "'axes' must be an int or a pair of axis lists");
            xa = to_axes((*pair)[0], axes->span, "tensordot(): 'axes'");
            ya = to_axes((*pair)[1], axes->span, "tensordot(): 'axes'");
        }
        return Value(tensordot(x, y, xa, ya));
    });
    define(m, "rechunk", [](CallArgs& a) {
        a.bind({"x", "chunks"}, 2);
        return Value(array_argument(a, "x").rechunk(
            argument(a, "chunks", to_chunks, ChunkSpec::automatic())));
    });
    define(m, "map_overlap", [](CallArgs& a) {
        a.bind({"func", "x", "depth", "boundary"}, 2);
        const Argument& f = required(a, "func");
        const std::string kernel = f.value.is<FunctionPtr>()   ? f.value.as<FunctionPtr>()->name
                                   : f.value.is<std::string>() ? f.value.as<std::string>()
                                                               : "";
        const Array x = array_argument(a, "x");
        std::vector<std::int64_t> depth(static_cast<std::size_t>(x.ndim()), 1);
        if (const Argument* d = a.get("depth")) {
            if (d->value.is<std::int64_t>())
                depth.assign(depth.size(), d->value.as<std::int64_t>());
            else
                depth = to_shape(d->value, d->span, "map_overlap(): 'depth'");
        }
        kernels::Boundary boundary = kernels::Boundary::kReflect;
        double constant = 0;
        if (const Argument* b = a.get("boundary")) {
            if (is_number(b->value)) {
                boundary = kernels::Boundary::kConstant;
                constant = number_of(b->value);
            } else {
                const std::string s = to_string(b->value, b->span, "map_overlap(): 'boundary'");
                static const std::map<std::string, kernels::Boundary> names = {
                    {"reflect", kernels::Boundary::kReflect},
                    {"periodic", kernels::Boundary::kPeriodic},
                    {"nearest", kernels::Boundary::kNearest},
                    {"none", kernels::Boundary::kNone}};
                auto it = names.find(s);
                if (it == names.end())
                    throw a.error("boundary",
                                  "'boundary' must be 'reflect', 'periodic', 'nearest', 'none' or "
                                  "a number, not " +
                                      repr(s));
                boundary = it->second;
            }
        }
        return Value(apply_builtin_kernel(kernel, f.span, x, depth, boundary, constant));
    });
}

// ---------------------------------------------------------------------------------------------
// HDF5 and computing

void define_io(Members& m) {
    define(m, "from_hdf5", [](CallArgs& a) {
        a.bind({"path", "dataset", "chunks"}, 2);
        std::optional<ChunkSpec> chunks;
        if (a.get("chunks")) chunks = argument(a, "chunks", to_chunks, ChunkSpec::automatic());
        return Value(from_hdf5(argument(a, "path", to_string, std::string()),
                               argument(a, "dataset", to_string, std::string()), chunks));
    });
    define(m, "to_hdf5", [](CallArgs& a) {
        a.bind({"path", "datasets", "array", "gzip", "attrs"}, 2);
        const std::string path = argument(a, "path", to_string, std::string());
        const Argument& d = required(a, "datasets");
        std::vector<std::pair<std::string, Array>> datasets;
        Hdf5WriteOptions options;
        options.gzip = static_cast<int>(argument(a, "gzip", to_int, std::int64_t{0}));
        auto attributes_of = [&](const Value& v, Span where) {
            if (!v.is<Dict>())
                throw ScriptError("to_hdf5(): attributes must be a dictionary", where);
            std::map<std::string, Hdf5Attribute> out;
            for (const auto& [k, x] : *v.as<Dict>().items) {
                if (x.is<std::string>())
                    out[k] = x.as<std::string>();
                else if (x.is<double>())
                    out[k] = x.as<double>();
                else if (x.is<std::int64_t>() || x.is<bool>())
                    out[k] = to_int(x, where, "an attribute");
                else
                    throw ScriptError(
                        "to_hdf5(): attribute '" + k + "' must be a number or a string", where);
            }
            return out;
        };
        const Argument* attrs = a.get("attrs");
        if (d.value.is<Dict>()) {
            if (a.get("array"))
                throw a.error("array",
                              "give either a dictionary of arrays or a dataset name and an array");
            for (const auto& [name, v] : *d.value.as<Dict>().items)
                datasets.emplace_back(name,
                                      to_array(v, d.span, "to_hdf5(): dataset '" + name + "'"));
            if (attrs) {
                if (!attrs->value.is<Dict>())
                    throw a.error("attrs", "'attrs' must be a dictionary per dataset");
                for (const auto& [name, v] : *attrs->value.as<Dict>().items)
                    options.attributes[name] = attributes_of(v, attrs->span);
            }
        } else {
            const std::string name = to_string(d.value, d.span, "to_hdf5(): 'datasets'");
            if (!a.get("array"))
                throw ScriptError("to_hdf5() missing required argument 'array'", a.span);
            datasets.emplace_back(name, array_argument(a, "array"));
            if (attrs) options.attributes[name] = attributes_of(attrs->value, attrs->span);
        }
        if (a.interpreter->options().explain) {
            std::vector<Array> arrays;
            arrays.reserve(datasets.size());
            for (const auto& [_, x] : datasets) arrays.push_back(x);
            a.interpreter->explain("to_hdf5 " + path, arrays, a.span);
            return Value();
        }
        std::vector<Array> arrays;
        arrays.reserve(datasets.size());
        for (const auto& [_, x] : datasets) arrays.push_back(x);
        a.interpreter->record(arrays);
        to_hdf5(path, datasets, options);
        return Value();
    });
    auto computed = [](CallArgs& a, const std::vector<Argument>& values) {
        std::vector<Array> arrays;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < values.size(); ++i)
            if (values[i].value.is<Array>()) {
                arrays.push_back(values[i].value.as<Array>());
                which.push_back(i);
            }
        refuse_under_explain(a, a.function + "()");
        const std::vector<Buffer> results = a.interpreter->compute(arrays);
        Values out;
        for (const auto& v : values) out.push_back(v.value);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const Buffer& b = results[k];
            out[which[k]] = b.shape().empty()
                                ? python_number(b)
                                : Value(from_buffer(b, ChunkSpec(arrays[k].chunks())));
        }
        return out;
    };
    define(m, "compute", [computed](CallArgs& a) {
        if (!a.keywords.empty())
            throw ScriptError("compute() takes no keyword arguments", a.keywords[0].second.span);
        return make_tuple(computed(a, a.positional));
    });
    define(m, "persist", [](CallArgs& a) {
        if (!a.keywords.empty())
            throw ScriptError("persist() takes no keyword arguments", a.keywords[0].second.span);
        Values out;
        for (const auto& p : a.positional) {
            const bool run = p.value.is<Array>() && !a.interpreter->options().explain;
            out.push_back(run ? Value(p.value.as<Array>().persist()) : p.value);
        }
        return out.size() == 1 ? out[0] : make_tuple(std::move(out));
    });
    m["__computed"] =
        function("compute", [computed](CallArgs& a) { return computed(a, a.positional)[0]; });
}

// ---------------------------------------------------------------------------------------------
// Python's builtins

void define_python(Members& g, const Members& arrays) {
    define(g, "print", [](CallArgs& a) {
        std::string sep = " ", end = "\n";
        for (const auto& [k, v] : a.keywords) {
            if (k == "sep")
                sep = to_string(v.value, v.span, "print(): 'sep'");
            else if (k == "end")
                end = to_string(v.value, v.span, "print(): 'end'");
            else
                throw ScriptError("print() got an unexpected keyword argument '" + k + "'", v.span);
        }
        Interpreter& in = *a.interpreter;
        // All the arrays of one print are computed together, sharing their common work.
        std::vector<Array> shown;
        for (const auto& p : a.positional)
            if (p.value.is<Array>()) shown.push_back(printed_part(p.value.as<Array>()));
        if (in.options().explain) {
            if (!shown.empty()) in.explain("print", shown, a.span);
            return Value();
        }
        const std::vector<Buffer> results = in.compute(shown);
        std::string line;
        std::size_t k = 0;
        for (std::size_t i = 0; i < a.positional.size(); ++i) {
            if (i) line += sep;
            const Value& v = a.positional[i].value;
            line +=
                v.is<Array>() ? format_array_edges(results[k++], v.as<Array>().shape()) : str(v);
        }
        in.out() << line << end << std::flush;
        return Value();
    });
    define(g, "len", [](CallArgs& a) {
        a.bind({"obj"}, 1);
        const Value& v = required(a, "obj").value;
        if (v.is<Tuple>()) return Value(static_cast<std::int64_t>(v.as<Tuple>().items->size()));
        if (v.is<List>()) return Value(static_cast<std::int64_t>(v.as<List>().items->size()));
        if (v.is<Dict>()) return Value(static_cast<std::int64_t>(v.as<Dict>().items->size()));
        if (v.is<std::string>())
            return Value(static_cast<std::int64_t>(v.as<std::string>().size()));
        if (v.is<Array>()) {
            if (v.as<Array>().ndim() == 0) throw a.error("obj", "len() of a 0-d array");
            return Value(v.as<Array>().shape()[0]);
        }
        throw a.error("obj", "object of type '" + type_name(v) + "' has no len()");
    });
    auto number = [](const std::string& name) {
        return [name](CallArgs& a) {
            a.bind({"x"}, 0);
            const Argument* x = a.get("x");
            Value v = x ? x->value : Value(std::int64_t{0});
            if (v.is<Array>()) {
                refuse_under_explain(a, name + "() of an array");
                const Array& arr = v.as<Array>();
                if (arr.size() != 1)
                    throw a.error("x",
                                  "only arrays of one element can be converted to Python scalars "
                                  "(this one has " +
                                      std::to_string(arr.size()) + ")");
                v = python_number(a.interpreter->compute({arr.reshape({})})[0]);
            }
            if (v.is<std::string>()) {
                const std::string& s = v.as<std::string>();
                try {
                    std::size_t used = 0;
                    if (name == "int") {
                        const long long i = std::stoll(s, &used);
                        if (used == s.size()) return Value(static_cast<std::int64_t>(i));
                    } else {
                        const double d = std::stod(s, &used);
                        if (used == s.size()) return Value(d);
                    }
                } catch (const std::exception&) {
                }
                throw a.error("x", "invalid literal for " + name + "(): " + repr(s));
            }
            if (!is_number(v))
                throw a.error("x", name + "() argument must be a string or a number, not '" +
                                       type_name(v) + "'");
            if (name == "int") {
                if (v.is<std::int64_t>()) return v;
                if (v.is<bool>()) return Value(std::int64_t{v.as<bool>()});
                return Value(int_of_float(v.as<double>(), x->span, "int()"));
            }
            if (name == "float") return Value(number_of(v));
            return Value(number_of(v) != 0);
        };
    };
    define(g, "int", number("int"));
    define(g, "float", number("float"));
    define(g, "bool", [](CallArgs& a) {
        a.bind({"x"}, 0);
        const Argument* x = a.get("x");
        if (x && x->value.is<Array>()) refuse_under_explain(a, "bool() of an array");
        return Value(x ? truth(x->value, x->span) : false);
    });
    define(g, "str", [](CallArgs& a) {
        a.bind({"object"}, 0);
        const Argument* x = a.get("object");
        if (x && x->value.is<Array>()) refuse_under_explain(a, "str() of an array");
        return Value(x ? str(x->value) : std::string());
    });
    define(g, "repr", [](CallArgs& a) {
        a.bind({"object"}, 1);
        if (required(a, "object").value.is<Array>()) refuse_under_explain(a, "repr() of an array");
        return Value(repr(required(a, "object").value));
    });
    define(g, "range", [](CallArgs& a) {
        a.bind({"start", "stop", "step"}, 1);
        std::int64_t start = argument(a, "start", to_int, std::int64_t{0}), stop = 0;
        if (a.get("stop"))
            stop = argument(a, "stop", to_int, std::int64_t{0});
        else
            std::swap(start, stop);
        const std::int64_t step = argument(a, "step", to_int, std::int64_t{1});
        if (step == 0) throw a.error("step", "range() step must not be zero");
        // A script's range is a list (there are no loops to make it lazy for): refuse one that
        // would fill the node's memory before allocating it.
        const __int128 span = static_cast<__int128>(stop) - start;
        const __int128 length =
            span == 0 || (span > 0) != (step > 0) ? 0 : (span + step + (step > 0 ? -1 : 1)) / step;
        constexpr std::int64_t kMaxRange = std::int64_t{1} << 27;
        if (length > kMaxRange)
            throw ScriptError("range() of " + std::to_string(static_cast<std::uint64_t>(length)) +
                                  " numbers: tessera scripts make range a list, of at most " +
                                  std::to_string(kMaxRange) + "; use arange() for an array",
                              a.span);
        Values out;
        out.reserve(static_cast<std::size_t>(length));
        for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
        return make_list(std::move(out));
    });
    // min, max, sum, abs and round: Python's on numbers and sequences, NumPy's on arrays.
    for (const char* name : {"min", "max", "sum", "abs", "round"}) {
        const FunctionPtr on_arrays = arrays.at(name).as<FunctionPtr>();
        define(g, name, [name = std::string(name), on_arrays](CallArgs& a) {
            if (!a.positional.empty() && a.positional[0].value.is<Array>())
                return on_arrays->call(a);
            if (name == "abs" || name == "round") {
                a.bind({"x", "ndigits"}, 1);
                const Argument& x = required(a, "x");
                if (!is_number(x.value))
                    throw a.error(
                        "x", "bad operand type for " + name + "(): '" + type_name(x.value) + "'");
                if (name == "abs")
                    return x.value.is<double>()
                               ? Value(std::fabs(x.value.as<double>()))
                               : Value(checked_abs(to_int(x.value, x.span, "abs()"), x.span));
                if (const Argument* n = a.get("ndigits")) {
                    const double scale = std::pow(
                        10.0, static_cast<double>(to_int(n->value, n->span, "round(): 'ndigits'")));
                    return Value(std::nearbyint(number_of(x.value) * scale) / scale);
                }
                if (x.value.is<std::int64_t>()) return x.value;
                return Value(int_of_float(std::nearbyint(number_of(x.value)), x.span, "round()"));
            }
            Values items;
            if (a.positional.size() == 1) {
                const Value& v = a.positional[0].value;
                if (v.is<Tuple>())
                    items = *v.as<Tuple>().items;
                else if (v.is<List>())
                    items = *v.as<List>().items;
                else
                    throw ScriptError("'" + type_name(v) + "' object is not iterable",
                                      a.positional[0].span);
            } else {
                for (const auto& p : a.positional) items.push_back(p.value);
            }
            if (name == "sum") {
                Value total = std::int64_t{0};
                for (const auto& v : items) total = binary_operation("+", total, v, a.span);
                return total;
            }
            if (items.empty()) throw ScriptError(name + "() of an empty sequence", a.span);
            Value best = items[0];
            for (const auto& v : items) {
                const bool better =
                    truth(binary_operation(name == "min" ? "<" : ">", v, best, a.span), a.span);
                if (better) best = v;
            }
            return best;
        });
    }
}

/// The attribute names of arrays, for "did you mean".
const std::vector<std::string>& array_attribute_names() {
    static const std::vector<std::string> names = {
        "T",         "shape",     "dtype",       "ndim",    "size",        "nbytes",  "chunks",
        "numblocks", "chunksize", "npartitions", "sum",     "prod",        "mean",    "var",
        "std",       "min",       "max",         "argmin",  "argmax",      "any",     "all",
        "astype",    "rechunk",   "transpose",   "reshape", "squeeze",     "dot",     "clip",
        "round",     "persist",   "compute",     "item",    "map_overlap", "flatten", "ravel"};
    return names;
}

Members& array_namespace() {
    static Members m = [] {
        Members n;
        define_creation(n);
        define_elementwise(n);
        define_reductions(n);
        define_structure(n);
        define_io(n);
        for (DType d :
             {DType::kFloat64, DType::kFloat32, DType::kInt64, DType::kInt32, DType::kBool}) {
            const std::string name(kernels::dtype_name(d));
            n[name == "bool" ? "bool_" : name] = DTypeValue{d};
        }
        n["pi"] = M_PI;
        n["e"] = M_E;
        n["inf"] = HUGE_VAL;
        n["nan"] = std::nan("");
        n["newaxis"] = NoneValue{};
        n["random"] = Module{"random", std::make_shared<const Members>(random_namespace())};
        n["linalg"] = Module{"linalg", std::make_shared<const Members>(linalg_namespace())};
        for (const auto& [name, kernel] : builtin_kernels())
            n[name] = function(name, [name = name](CallArgs& a) -> Value {
                throw ScriptError(
                    name + " is a block kernel: pass it to map_overlap(" + name + ", x, depth=1)",
                    a.span);
            });
        return n;
    }();
    return m;
}

}  // namespace

void install_builtins(std::map<std::string, Value>& builtins,
                      std::map<std::string, Value>& modules) {
    const Members& arrays = array_namespace();
    Members visible;
    for (const auto& [k, v] : arrays)
        if (k[0] != '_') visible[k] = v;
    const Value ns = Module{"tessera", std::make_shared<const Members>(visible)};
    builtins = visible;
    define_python(builtins, arrays);
    builtins["np"] = ns;
    builtins["da"] = ns;
    modules["numpy"] = ns;
    modules["dask.array"] = ns;
    modules["tessera"] = ns;
    modules["time"] = Module{"time", std::make_shared<const Members>(time_namespace())};
    Members dask = {
        {"array", ns}, {"compute", arrays.at("compute")}, {"persist", arrays.at("persist")}};
    modules["dask"] = Module{"dask", std::make_shared<const Members>(dask)};
}

Value attribute(const Value& object, const std::string& name, Span where) {
    if (object.is<Module>()) {
        const Module& m = object.as<Module>();
        if (auto it = m.members->find(name); it != m.members->end()) return it->second;
        std::vector<std::string> names;
        for (const auto& [n, _] : *m.members) names.push_back(n);
        throw ScriptError(
            "module '" + m.name + "' has no attribute '" + name + "'" + did_you_mean(name, names),
            where);
    }
    if (object.is<Array>()) {
        const Array& x = object.as<Array>();
        auto ints = [](const std::vector<std::int64_t>& v) {
            Values out;
            for (auto i : v) out.emplace_back(i);
            return make_tuple(std::move(out));
        };
        if (name == "T") return x.T();
        if (name == "shape") return ints(x.shape());
        if (name == "dtype") return DTypeValue{x.dtype()};
        if (name == "ndim") return std::int64_t{x.ndim()};
        if (name == "size") return x.size();
        if (name == "nbytes") return x.nbytes();
        if (name == "numblocks") return ints(x.numblocks());
        if (name == "npartitions") {
            std::int64_t n = 1;
            for (auto b : x.numblocks()) n *= b;
            return n;
        }
        if (name == "chunks") {
            Values dims;
            for (const auto& d : x.chunks()) dims.push_back(ints(d));
            return make_tuple(std::move(dims));
        }
        if (name == "chunksize") {
            std::vector<std::int64_t> largest;
            for (const auto& d : x.chunks())
                largest.push_back(d.empty() ? 0 : *std::max_element(d.begin(), d.end()));
            return ints(largest);
        }
        const Members& ns = array_namespace();
        static const std::map<std::string, std::string> renamed = {{"compute", "__computed"}};
        if (name == "item") {
            return function("Array.item", [x](CallArgs& a) {
                a.bind({}, 0);
                refuse_under_explain(a, "item()");
                if (x.size() != 1)
                    throw ScriptError("item() needs an array of one element", a.span);
                return python_number(a.interpreter->compute({x.reshape({})})[0]);
            });
        }
        if (name == "flatten" || name == "ravel") {
            return function("Array." + name, [x](CallArgs& a) {
                a.bind({}, 0);
                return Value(x.reshape({x.size()}));
            });
        }
        if (name == "reshape" || name == "transpose") {
            // x.reshape(2, 3) as well as x.reshape((2, 3)); the same for transpose's axes.
            return function("Array." + name, [x, name](CallArgs& a) {
                if (a.positional.size() > 1) {
                    Values dims;
                    for (const auto& p : a.positional) dims.push_back(p.value);
                    a.positional = {Argument{make_tuple(std::move(dims)), a.span}};
                }
                a.positional.insert(a.positional.begin(), Argument{x, a.span});
                return array_namespace().at(name).as<FunctionPtr>()->call(a);
            });
        }
        if (name == "map_overlap") {
            // x.map_overlap(func, depth, boundary): the array goes second.
            return function("Array.map_overlap", [x](CallArgs& a) {
                if (a.positional.empty())
                    throw ScriptError("Array.map_overlap() missing required argument 'func'",
                                      a.span);
                a.positional.insert(a.positional.begin() + 1, Argument{x, a.span});
                return array_namespace().at("map_overlap").as<FunctionPtr>()->call(a);
            });
        }
        const auto& names = array_attribute_names();
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            auto it = renamed.find(name);
            return bind_method(name, object,
                               ns.at(it == renamed.end() ? name : it->second).as<FunctionPtr>());
        }
        throw ScriptError(
            "'Array' object has no attribute '" + name + "'" + did_you_mean(name, names), where);
    }
    if (object.is<DTypeValue>() && name == "name")
        return std::string(kernels::dtype_name(object.as<DTypeValue>().dtype));
    if (object.is<DTypeValue>() && name == "itemsize")
        return static_cast<std::int64_t>(kernels::dtype_size(object.as<DTypeValue>().dtype));
    throw ScriptError("'" + type_name(object) + "' object has no attribute '" + name + "'", where);
}

}  // namespace tessera::script
