#pragma once
// Calls a generic lambda with a value of the C++ type of a dtype: the one place that maps
// runtime dtypes to template instantiations.
#include <cstdint>
#include <stdexcept>

#include "tessera/kernels/dtype.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

template <class F>
decltype(auto) visit_dtype(DType dtype, F&& f) {
    switch (dtype) {
        case DType::kFloat64:
            return f(double{});
        case DType::kFloat32:
            return f(float{});
        case DType::kInt64:
            return f(std::int64_t{});
        case DType::kInt32:
            return f(std::int32_t{});
        case DType::kBool:
            return f(bool{});
    }
    throw ValueError("unknown dtype");
}

}  // namespace tessera::kernels
