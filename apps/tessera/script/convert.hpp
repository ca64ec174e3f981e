#pragma once
// Conversions between script values and the array API's arguments, shared by the operators
// and the built-in functions. Each throws a ScriptError pointing at the value's spot.
#include <optional>
#include <string>

#include "interpreter.hpp"

namespace tessera::script {

/// bool, int or float as an array-API scalar (its kind drives NumPy's promotion rules).
std::optional<Scalar> as_scalar(const Value& v);
bool is_number(const Value& v);
double number_of(const Value& v);
/// A float made a Python int (truncated, as int() does): NaN, infinities and values outside
/// tessera's 64-bit integers are errors naming `what`, as Python raises for the first two.
std::int64_t int_of_float(double x, Span where, const std::string& what);

/// An array, a number (0-d), or nested lists/tuples of numbers (like np.asarray).
Array to_array(const Value& v, Span where, const std::string& what);
std::int64_t to_int(const Value& v, Span where, const std::string& what);
double to_float(const Value& v, Span where, const std::string& what);
std::string to_string(const Value& v, Span where, const std::string& what);
bool to_bool(const Value& v, Span where, const std::string& what);
/// An int or a tuple/list of ints.
Shape to_shape(const Value& v, Span where, const std::string& what);
/// An int, a tuple/list of ints (-1: the whole dimension), a tuple of tuples (explicit block
/// sizes), "auto", or a byte size such as "64MiB" (blocks of about that size).
ChunkSpec to_chunks(const Value& v, Span where, const std::string& what);
/// "float32", np.float32, float, int, bool.
DType to_dtype(const Value& v, Span where, const std::string& what);
/// None (all), an int, or a tuple/list of ints.
Axes to_axes(const Value& v, Span where, const std::string& what);

/// The same through a bound argument, or `fallback` when it was not given.
template <class T, class F>
T argument(const CallArgs& args, const std::string& name, F convert, T fallback) {
    const Argument* a = args.get(name);
    if (!a) return fallback;
    return convert(a->value, a->span, args.function + "(): '" + name + "'");
}

/// The argument (required), or a ScriptError at the call when missing.
const Argument& required(const CallArgs& args, const std::string& name);

}  // namespace tessera::script
