#pragma once
// One vector unit's SLEEF functions (vector_math_<isa>.cpp, each compiled for its unit), chosen
// by vector_math.cpp.
#include <cstdint>

#include "tessera/kernels/elementwise.hpp"

namespace tessera::kernels::detail {

struct VectorTable {
    void (*unary64)(Op op, const double* x, double* out, std::int64_t n);
    void (*unary32)(Op op, const float* x, float* out, std::int64_t n);
    void (*binary64)(Op op, const double* x, const double* y, double* out, std::int64_t n);
    void (*binary32)(Op op, const float* x, const float* y, float* out, std::int64_t n);
};

extern const VectorTable kScalarTable;
#if defined(__x86_64__)
extern const VectorTable kSse2Table;
extern const VectorTable kAvxTable;
#endif

}  // namespace tessera::kernels::detail
