// SLEEF's deterministic functions four doubles (eight floats) at a time. This file alone is
// compiled for AVX (kernels/CMakeLists.txt); vector_math.cpp calls it only on CPUs that have it.
#include <immintrin.h>
#include <sleef.h>

#include "vector_math_table.hpp"

namespace tessera::kernels::detail {
namespace avx_unit {

#define TESSERA_SLEEF_D(name, ulp) Sleef_cinz_##name##d4_##ulp##avx
#define TESSERA_SLEEF_F(name, ulp) Sleef_cinz_##name##f8_##ulp##avx
inline __m256d load(const double* p) { return _mm256_loadu_pd(p); }
inline __m256 load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
inline void store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
template <class T>
constexpr std::int64_t kLanes = 32 / sizeof(T);
#include "vector_math_isa.inc"
#undef TESSERA_SLEEF_F
#undef TESSERA_SLEEF_D

}  // namespace avx_unit

const VectorTable kAvxTable = {avx_unit::unary64, avx_unit::unary32, avx_unit::binary64,
                               avx_unit::binary32};

}  // namespace tessera::kernels::detail
