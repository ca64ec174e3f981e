#pragma once
// The values a tessera script computes with: Python's scalars and containers, and lazy arrays.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "syntax.hpp"
#include "tessera/array.hpp"

namespace tessera::script {

struct Value;
struct CallArgs;
using Values = std::vector<Value>;

struct NoneValue {};
struct EllipsisValue {};
struct Tuple {
    std::shared_ptr<const Values> items;
};
struct List {
    std::shared_ptr<Values> items;
};
/// Dictionaries keep their keys in insertion order, as Python's do (keys are strings).
struct Dict {
    std::shared_ptr<std::vector<std::pair<std::string, Value>>> items;
};
struct SliceValue {
    std::optional<std::int64_t> start, stop, step;
};
struct DTypeValue {
    DType dtype;
};
/// A built-in function or a method bound to its object.
struct Function {
    std::string name;  // as shown in messages: "ones", "Array.mean"
    std::function<Value(CallArgs&)> call;
};
using FunctionPtr = std::shared_ptr<const Function>;
/// A namespace of names: `np`, `da`, `random`.
struct Module {
    std::string name;
    std::shared_ptr<const std::map<std::string, Value>> members;
};

struct Value {
    std::variant<NoneValue, bool, std::int64_t, double, std::string, Tuple, List, Dict, SliceValue,
                 EllipsisValue, DTypeValue, FunctionPtr, Module, Array>
        v;

    Value() : v(NoneValue{}) {}
    template <class T>
    Value(T x) : v(std::move(x)) {}       // NOLINT: values convert freely, as in Python
    Value(int x) : v(std::int64_t{x}) {}  // NOLINT

    template <class T>
    bool is() const {
        return std::holds_alternative<T>(v);
    }
    template <class T>
    const T& as() const {
        return std::get<T>(v);
    }
};

Value make_tuple(Values items);
Value make_list(Values items);

/// Python's type names: "int", "float", "str", "tuple", "Array", ...
std::string type_name(const Value& v);
/// Python's repr() (strings quoted) and str() (strings as they are). Arrays are computed.
std::string repr(const Value& v);
std::string str(const Value& v);

/// The shortest text that reads back to the same double, as Python's repr(float).
std::string format_float(double v);
/// The same for a float32, as NumPy prints np.float32 scalars.
std::string format_float32(float v);
/// A computed array as NumPy's str(array) shows it (a 0-d one as its scalar).
std::string format_array(const Buffer& b);
/// Whether NumPy summarises an array of this shape (more than 1000 elements) ...
bool is_summarised(const Shape& shape);
/// ... and, along a dimension of n elements, the indices it then shows (the first and last 3).
std::vector<std::int64_t> shown_indices(std::int64_t n);
/// The same text from only the elements shown (`b`, of the shape the shown indices make), for
/// arrays too large to bring to the driver whole.
std::string format_array_edges(const Buffer& b, const Shape& shape);
/// The part of an array that printing it shows (lazy): all of a small array, the edge items of a
/// large one, so that printing a large array computes only those.
Array printed_part(const Array& x);

}  // namespace tessera::script
