// Operators and conversions: Python's rules between Python values, NumPy's as soon as an array
// takes part.
#include <cmath>
#include <cstdio>
#include <limits>

#include "convert.hpp"
#include "tessera/kernels/dtype.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera::script {

// ---------------------------------------------------------------------------------------------
// Conversions

std::optional<Scalar> as_scalar(const Value& v) {
    if (v.is<bool>()) return Scalar(v.as<bool>());
    if (v.is<std::int64_t>()) return Scalar(v.as<std::int64_t>());
    if (v.is<double>()) return Scalar(v.as<double>());
    return std::nullopt;
}

bool is_number(const Value& v) { return v.is<bool>() || v.is<std::int64_t>() || v.is<double>(); }

double number_of(const Value& v) {
    if (v.is<bool>()) return v.as<bool>();
    if (v.is<std::int64_t>()) return static_cast<double>(v.as<std::int64_t>());
    return v.as<double>();
}

std::int64_t int_of_float(double x, Span where, const std::string& what) {
    if (std::isnan(x)) throw ScriptError(what + ": cannot convert float NaN to integer", where);
    if (std::isinf(x))
        throw ScriptError(what + ": cannot convert float infinity to integer", where);
    // The int64 range is [-2^63, 2^63): both bounds are exact doubles.
    if (x >= 0x1p63 || x < -0x1p63) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", x);
        throw ScriptError(what + ": " + text + " is outside the 64-bit integers of tessera scripts",
                          where);
    }
    return static_cast<std::int64_t>(x);
}

const Argument& required(const CallArgs& args, const std::string& name) {
    const Argument* a = args.get(name);
    if (!a)
        throw ScriptError(args.function + "() missing required argument '" + name + "'", args.span);
    return *a;
}

namespace {

[[noreturn]] void wrong_type(const Value& v, Span where, const std::string& what,
                             const std::string& expected) {
    throw ScriptError(what + " must be " + expected + ", not '" + type_name(v) + "'", where);
}

const Values* sequence(const Value& v) {
    if (v.is<Tuple>()) return v.as<Tuple>().items.get();
    if (v.is<List>()) return v.as<List>().items.get();
    return nullptr;
}

/// Nested sequences of numbers: their shape and values (row-major), NumPy's result dtype.
void flatten(const Value& v, std::size_t depth, Shape& shape, std::vector<double>& values,
             DType& dtype, bool& first, Span where) {
    const Values* items = sequence(v);
    if (!items) {
        if (!is_number(v))
            throw ScriptError("array elements must be numbers, not '" + type_name(v) + "'", where);
        if (first) {
            dtype = v.is<bool>()           ? DType::kBool
                    : v.is<std::int64_t>() ? DType::kInt64
                                           : DType::kFloat64;
            first = false;
        } else {
            const DType d = v.is<bool>()           ? DType::kBool
                            : v.is<std::int64_t>() ? DType::kInt64
                                                   : DType::kFloat64;
            dtype = kernels::promote(dtype, d);
        }
        if (depth != shape.size())
            throw ScriptError("the nested lists are ragged (not a rectangular array)", where);
        values.push_back(number_of(v));
        return;
    }
    if (depth == shape.size()) {
        if (!values.empty())
            throw ScriptError("the nested lists are ragged (not a rectangular array)", where);
        shape.push_back(static_cast<std::int64_t>(items->size()));
    } else if (depth > shape.size() || shape[depth] != static_cast<std::int64_t>(items->size())) {
        throw ScriptError("the nested lists are ragged (not a rectangular array)", where);
    }
    for (const auto& item : *items) flatten(item, depth + 1, shape, values, dtype, first, where);
}

}  // namespace

Array to_array(const Value& v, Span where, const std::string& what) {
    if (v.is<Array>()) return v.as<Array>();
    if (auto s = as_scalar(v)) return scalar(*s);
    if (sequence(v)) {
        Shape shape;
        std::vector<double> values;
        DType dtype = DType::kFloat64;
        bool first = true;
        flatten(v, 0, shape, values, dtype, first, where);
        Buffer b(dtype, shape);
        kernels::visit_dtype(dtype, [&](auto t) {
            using T = decltype(t);
            T* out = b.data<T>();
            for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<T>(values[i]);
        });
        return from_buffer(b);
    }
    wrong_type(v, where, what, "an array or a number");
}

std::int64_t to_int(const Value& v, Span where, const std::string& what) {
    if (v.is<std::int64_t>()) return v.as<std::int64_t>();
    if (v.is<bool>()) return v.as<bool>();
    wrong_type(v, where, what, "an int");
}

double to_float(const Value& v, Span where, const std::string& what) {
    if (is_number(v)) return number_of(v);
    wrong_type(v, where, what, "a number");
}

std::string to_string(const Value& v, Span where, const std::string& what) {
    if (v.is<std::string>()) return v.as<std::string>();
    wrong_type(v, where, what, "a string");
}

bool to_bool(const Value& v, Span where, const std::string& what) {
    if (v.is<bool>()) return v.as<bool>();
    if (v.is<std::int64_t>()) return v.as<std::int64_t>() != 0;
    wrong_type(v, where, what, "True or False");
}

Shape to_shape(const Value& v, Span where, const std::string& what) {
    if (v.is<std::int64_t>() || v.is<bool>()) return {to_int(v, where, what)};
    const Values* items = sequence(v);
    if (!items) wrong_type(v, where, what, "an int or a tuple of ints");
    Shape out;
    for (const auto& i : *items) {
        if (!i.is<std::int64_t>()) wrong_type(i, where, what + "'s entries", "ints");
        out.push_back(i.as<std::int64_t>());
    }
    return out;
}

ChunkSpec to_chunks(const Value& v, Span where, const std::string& what) {
    if (v.is<NoneValue>()) return ChunkSpec::automatic();
    if (v.is<std::string>()) {
        const std::string& s = v.as<std::string>();
        if (s == "auto") return ChunkSpec::automatic();
        try {
            return ChunkSpec::automatic(static_cast<std::int64_t>(parse_bytes(s)));
        } catch (const Error& e) {
            throw ScriptError(what + ": " + e.what() + " (or use \"auto\")", where);
        }
    }
    if (v.is<std::int64_t>()) return ChunkSpec(v.as<std::int64_t>());
    const Values* items = sequence(v);
    if (!items)
        wrong_type(v, where, what, "an int, a tuple, \"auto\" or a byte size like \"64MiB\"");
    const bool explicit_blocks = !items->empty() && sequence(items->front());
    if (explicit_blocks) {
        Chunks blocks;
        for (const auto& dim : *items)
            blocks.push_back(to_shape(dim, where, what + "'s block sizes"));
        return ChunkSpec(blocks);
    }
    std::vector<std::int64_t> per_dim;
    for (const auto& i : *items) {
        if (i.is<NoneValue>())
            per_dim.push_back(-1);
        else if (i.is<std::string>() && i.as<std::string>() == "auto")
            per_dim.push_back(0);
        else
            per_dim.push_back(to_int(i, where, what + "'s entries"));
    }
    return ChunkSpec(per_dim);
}

DType to_dtype(const Value& v, Span where, const std::string& what) {
    if (v.is<DTypeValue>()) return v.as<DTypeValue>().dtype;
    if (v.is<FunctionPtr>()) {
        const std::string& n = v.as<FunctionPtr>()->name;
        if (n == "float") return DType::kFloat64;
        if (n == "int") return DType::kInt64;
        if (n == "bool") return DType::kBool;
    }
    if (v.is<std::string>()) {
        try {
            return kernels::parse_dtype(v.as<std::string>());
        } catch (const ValueError& e) {
            throw ScriptError(what + ": " + e.what(), where);
        }
    }
    wrong_type(v, where, what, "a dtype such as \"float32\"");
}

Axes to_axes(const Value& v, Span where, const std::string& what) {
    if (v.is<NoneValue>()) return {};
    if (v.is<std::int64_t>()) return {static_cast<int>(v.as<std::int64_t>())};
    const Values* items = sequence(v);
    if (!items) wrong_type(v, where, what, "None, an int or a tuple of ints");
    Axes out;
    for (const auto& i : *items)
        out.push_back(static_cast<int>(to_int(i, where, what + "'s entries")));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Operators

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

/// Python ints have no limit; tessera's scripts hold 64-bit ones and refuse what leaves them.
[[noreturn]] void integer_overflow(std::int64_t x, const std::string& op, std::int64_t y,
                                   Span where) {
    throw ScriptError("integer overflow: " + std::to_string(x) + " " + op + " " +
                          std::to_string(y) +
                          " is outside the 64-bit integers of tessera scripts (use floats)",
                      where);
}

/// x ** y for y >= 0 by squaring, refusing a result outside 64 bits (so 2 ** 2 ** 62 answers at
/// once instead of looping).
std::int64_t checked_power(std::int64_t x, std::int64_t y, Span where) {
    if (x == 0) return y == 0 ? 1 : 0;
    if (x == 1) return 1;
    if (x == -1) return y % 2 == 0 ? 1 : -1;
    std::int64_t result = 1, base = x;
    for (std::int64_t e = y;;) {
        if ((e & 1) && __builtin_mul_overflow(result, base, &result))
            integer_overflow(x, "**", y, where);
        e >>= 1;
        if (e == 0) return result;
        if (__builtin_mul_overflow(base, base, &base)) integer_overflow(x, "**", y, where);
    }
}

Value python_arithmetic(const std::string& op, const Value& a, const Value& b, Span where) {
    const bool ints = !a.is<double>() && !b.is<double>();
    const bool bools = a.is<bool>() && b.is<bool>();
    if (op == "&" || op == "|" || op == "^") {
        if (!ints)
            throw ScriptError("unsupported operand types for " + op + ": '" + type_name(a) +
                                  "' and '" + type_name(b) + "'",
                              where);
        const std::int64_t x = static_cast<std::int64_t>(number_of(a)),
                           y = static_cast<std::int64_t>(number_of(b));
        const std::int64_t r = op == "&" ? (x & y) : op == "|" ? (x | y) : (x ^ y);
        return bools ? Value(r != 0) : Value(r);
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=" || op == "==" || op == "!=") {
        const auto compare = [&op](auto x, auto y) {
            return op == "<"    ? x < y
                   : op == ">"  ? x > y
                   : op == "<=" ? x <= y
                   : op == ">=" ? x >= y
                   : op == "==" ? x == y
                                : x != y;
        };
        if (ints)  // exact for large integers
            return compare(
                static_cast<std::int64_t>(a.is<bool>() ? a.as<bool>() : a.as<std::int64_t>()),
                static_cast<std::int64_t>(b.is<bool>() ? b.as<bool>() : b.as<std::int64_t>()));
        return compare(number_of(a), number_of(b));
    }
    const bool zero = number_of(b) == 0;
    if (zero && (op == "/" || op == "//" || op == "%"))
        throw ScriptError(std::string(ints && op != "/" ? "integer " : "") + "division by zero",
                          where);
    if (ints && op != "/") {
        const std::int64_t x = a.is<bool>() ? a.as<bool>() : a.as<std::int64_t>();
        const std::int64_t y = b.is<bool>() ? b.as<bool>() : b.as<std::int64_t>();
        std::int64_t r = 0;
        const bool overflow = op == "+"   ? __builtin_add_overflow(x, y, &r)
                              : op == "-" ? __builtin_sub_overflow(x, y, &r)
                              : op == "*" ? __builtin_mul_overflow(x, y, &r)
                                          : false;
        if (overflow) integer_overflow(x, op, y, where);
        if (op == "+" || op == "-" || op == "*") return r;
        if (op == "//") {
            if (y == -1 && x == std::numeric_limits<std::int64_t>::min())
                integer_overflow(x, op, y, where);
            return floor_div(x, y);
        }
        if (op == "%") return y == -1 ? 0 : x - floor_div(x, y) * y;
        if (op == "**") {
            if (y < 0) return std::pow(static_cast<double>(x), static_cast<double>(y));
            return checked_power(x, y, where);
        }
    }
    const double x = number_of(a), y = number_of(b);
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "/") return x / y;
    if (op == "//") return std::floor(x / y);
    if (op == "%") {
        const double r = std::fmod(x, y);
        return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
    }
    if (op == "**") return std::pow(x, y);
    throw ScriptError("unsupported operand types for " + op + ": '" + type_name(a) + "' and '" +
                          type_name(b) + "'",
                      where);
}

Array array_operation(const std::string& op, const Array& a, const Array& b) {
    if (op == "+") return a + b;
    if (op == "-") return a - b;
    if (op == "*") return a * b;
    if (op == "/") return a / b;
    if (op == "//") return floor_divide(a, b);
    if (op == "%") return a % b;
    if (op == "**") return power(a, b);
    if (op == "@") return matmul(a, b);
    if (op == "&") return a & b;
    if (op == "|") return a | b;
    if (op == "^") return a ^ b;
    if (op == "<") return a < b;
    if (op == ">") return a > b;
    if (op == "<=") return a <= b;
    if (op == ">=") return a >= b;
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    throw UsageError("unsupported operator " + op);
}

}  // namespace

Value binary_operation(const std::string& op, const Value& a, const Value& b, Span where) {
    if (a.is<Array>() || b.is<Array>()) {
        if (op == "@" && (!a.is<Array>() || !b.is<Array>()))
            throw ScriptError("matmul (@) needs two arrays, not '" + type_name(a) + "' and '" +
                                  type_name(b) + "'",
                              where);
        const Array x = to_array(a, where, "the left operand of " + op);
        const Array y = to_array(b, where, "the right operand of " + op);
        try {
            return array_operation(op, x, y);
        } catch (const Error& e) {
            throw ScriptError(e.what(), where);
        }
    }
    if (is_number(a) && is_number(b)) {
        if (op == "@") throw ScriptError("matmul (@) needs two arrays", where);
        return python_arithmetic(op, a, b, where);
    }
    if (op == "==" || op == "!=") {
        const bool same = repr(a) == repr(b) && type_name(a) == type_name(b);
        return op == "==" ? same : !same;
    }
    if (op == "+" && a.is<std::string>() && b.is<std::string>())
        return a.as<std::string>() + b.as<std::string>();
    if (op == "+" && a.is<Tuple>() && b.is<Tuple>()) {
        Values items = *a.as<Tuple>().items;
        items.insert(items.end(), b.as<Tuple>().items->begin(), b.as<Tuple>().items->end());
        return make_tuple(std::move(items));
    }
    if (op == "+" && a.is<List>() && b.is<List>()) {
        Values items = *a.as<List>().items;
        items.insert(items.end(), b.as<List>().items->begin(), b.as<List>().items->end());
        return make_list(std::move(items));
    }
    throw ScriptError("unsupported operand types for " + op + ": '" + type_name(a) + "' and '" +
                          type_name(b) + "'",
                      where);
}

Value unary_operation(const std::string& op, const Value& a, Span where) {
    if (a.is<Array>()) {
        if (op == "+") return a;
        try {  // -bool and ~float are refused where they are written
            return op == "-" ? -a.as<Array>() : ~a.as<Array>();
        } catch (const Error& e) {
            throw ScriptError(e.what(), where);
        }
    }
    if (op == "-" && a.is<double>()) return -a.as<double>();
    if (op == "+" && a.is<double>()) return a;
    if (a.is<std::int64_t>() || a.is<bool>()) {
        const std::int64_t x = a.is<bool>() ? a.as<bool>() : a.as<std::int64_t>();
        if (op == "-") return -x;
        if (op == "+") return x;
        return ~x;
    }
    throw ScriptError("bad operand type for unary " + op + ": '" + type_name(a) + "'", where);
}

namespace {

std::int64_t normalise_index(std::int64_t i, std::size_t n, Span where) {
    const auto size = static_cast<std::int64_t>(n);
    if (i < -size || i >= size)
        throw ScriptError(
            "index " + std::to_string(i) + " is out of range for a length of " + std::to_string(n),
            where);
    return i < 0 ? i + size : i;
}

template <class Seq, class Make>
Value index_sequence(const Seq& items, const std::vector<Argument>& index, Span where, Make make) {
    if (index.size() != 1) throw ScriptError("only one index is allowed here", where);
    const Value& i = index[0].value;
    if (i.is<std::int64_t>()) {
        const auto k = normalise_index(i.as<std::int64_t>(), items.size(), index[0].span);
        return Value(items[static_cast<std::size_t>(k)]);
    }
    if (i.is<SliceValue>()) {
        const auto& s = i.as<SliceValue>();
        const std::int64_t n = static_cast<std::int64_t>(items.size());
        const std::int64_t step = s.step.value_or(1);
        auto clamp = [&](std::optional<std::int64_t> p, std::int64_t fallback) {
            if (!p) return fallback;
            std::int64_t v = *p < 0 ? *p + n : *p;
            return step > 0 ? std::clamp<std::int64_t>(v, 0, n)
                            : std::clamp<std::int64_t>(v, -1, n - 1);
        };
        const std::int64_t start = clamp(s.start, step > 0 ? 0 : n - 1);
        const std::int64_t stop = clamp(s.stop, step > 0 ? n : -1);
        Seq out{};
        for (std::int64_t k = start; step > 0 ? k < stop : k > stop; k += step)
            out.push_back(items[static_cast<std::size_t>(k)]);
        return make(std::move(out));
    }
    throw ScriptError("indices must be integers or slices, not '" + type_name(i) + "'",
                      index[0].span);
}

}  // namespace

Value subscript(const Value& object, const std::vector<Argument>& index, Span where) {
    if (object.is<Array>()) {
        std::vector<Argument> parts = index;
        if (parts.size() == 1 && parts[0].value.is<Tuple>()) {
            const Span s = parts[0].span;
            parts.clear();
            for (const auto& v : *index[0].value.as<Tuple>().items) parts.push_back({v, s});
        }
        std::vector<Index> idx;
        for (const auto& p : parts) {
            const Value& v = p.value;
            if (v.is<std::int64_t>())
                idx.emplace_back(v.as<std::int64_t>());
            else if (v.is<SliceValue>())
                idx.emplace_back(Slice{v.as<SliceValue>().start, v.as<SliceValue>().stop,
                                       v.as<SliceValue>().step});
            else if (v.is<NoneValue>())
                idx.emplace_back(NewAxis{});
            else if (v.is<EllipsisValue>())
                idx.emplace_back(Ellipsis{});
            else if (v.is<Array>() || v.is<List>())
                throw ScriptError(
                    "indexing with arrays or lists (advanced indexing) is not supported: use "
                    "integers, slices, None and ...",
                    p.span);
            else
                throw ScriptError("array indices must be integers, slices, None or ..., not '" +
                                      type_name(v) + "'",
                                  p.span);
        }
        try {
            return object.as<Array>()[idx];
        } catch (const Error& e) {
            throw ScriptError(e.what(), where);
        }
    }
    if (object.is<Tuple>())
        return index_sequence(*object.as<Tuple>().items, index, where,
                              [](Values v) { return make_tuple(std::move(v)); });
    if (object.is<List>())
        return index_sequence(*object.as<List>().items, index, where,
                              [](Values v) { return make_list(std::move(v)); });
    if (object.is<std::string>()) {
        const std::string& s = object.as<std::string>();
        std::vector<std::string> chars;
        for (char c : s) chars.emplace_back(1, c);
        Value r = index_sequence(chars, index, where, [](const std::vector<std::string>& v) {
            std::string joined;
            for (auto& c : v) joined += c;
            return Value(joined);
        });
        return r;
    }
    if (object.is<Dict>()) {
        if (index.size() != 1 || !index[0].value.is<std::string>())
            throw ScriptError("dictionary keys are strings", where);
        const std::string& key = index[0].value.as<std::string>();
        for (const auto& [k, v] : *object.as<Dict>().items)
            if (k == key) return v;
        throw ScriptError("key " + repr(key) + " is not in the dictionary", index[0].span);
    }
    throw ScriptError("'" + type_name(object) + "' object is not subscriptable", where);
}

bool truth(const Value& v, Span where) {
    if (v.is<NoneValue>()) return false;
    if (is_number(v)) return number_of(v) != 0;
    if (v.is<std::string>()) return !v.as<std::string>().empty();
    if (v.is<Tuple>()) return !v.as<Tuple>().items->empty();
    if (v.is<List>()) return !v.as<List>().items->empty();
    if (v.is<Dict>()) return !v.as<Dict>().items->empty();
    if (v.is<Array>()) {
        const Array& a = v.as<Array>();
        if (a.size() != 1)
            throw ScriptError("the truth value of an array with " + std::to_string(a.size()) +
                                  " elements is ambiguous: use .any() or .all()",
                              where);
        return a.item<double>() != 0;
    }
    return true;
}

}  // namespace tessera::script
