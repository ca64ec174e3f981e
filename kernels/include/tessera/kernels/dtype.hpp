#pragma once
// Element types of chunk buffers, the NumPy names users already know.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

enum class DType : std::uint8_t { kFloat64, kFloat32, kInt64, kInt32, kBool };

/// Bytes per element.
std::size_t dtype_size(DType dtype);

/// NumPy spelling: "float64", "float32", "int64", "int32", "bool".
std::string_view dtype_name(DType dtype);
/// Parses a NumPy spelling (also "f8", "f4", "i8", "i4", "float", "int", "double");
/// throws ValueError naming the accepted spellings.
DType parse_dtype(std::string_view name);

bool is_float(DType d);
bool is_integer(DType d);  // int32, int64 (not bool)

/// NumPy's result type of an operation between two arrays (np.result_type), e.g.
/// int32 + float32 -> float64, int32 + int64 -> int64, bool + int32 -> int32.
DType promote(DType a, DType b);

/// The kind of a Python scalar operand: NumPy 2 (NEP 50) lets it take the array's dtype when
/// the kinds are compatible (2 * float32 array -> float32; 2.5 * int32 array -> float64).
enum class ScalarKind : std::uint8_t { kBool, kInt, kFloat };
DType promote_with_scalar(DType array, ScalarKind scalar);

/// Maps a C++ element type to its DType at compile time.
template <class T>
struct DTypeOf;
template <>
struct DTypeOf<double> {
    static constexpr DType value = DType::kFloat64;
};
template <>
struct DTypeOf<float> {
    static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<std::int64_t> {
    static constexpr DType value = DType::kInt64;
};
template <>
struct DTypeOf<std::int32_t> {
    static constexpr DType value = DType::kInt32;
};
template <>
struct DTypeOf<bool> {
    static constexpr DType value = DType::kBool;
};

}  // namespace tessera::kernels
