#pragma once
// Element types of chunk buffers, the NumPy names users already know.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera::kernels {

enum class DType : std::uint8_t { kFloat64, kFloat32, kInt64, kInt32, kBool };

/// Bytes per element.
std::size_t dtype_size(DType dtype);

/// NumPy spelling: "float64", "float32", "int64", "int32", "bool".
std::string_view dtype_name(DType dtype);

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
