// SLEEF's deterministic functions two doubles (four floats) at a time: SSE2, which every
// x86-64 CPU has.
#include <emmintrin.h>
#include <sleef.h>

#include "vector_math_table.hpp"

namespace tessera::kernels::detail {
namespace sse2_unit {

#define TESSERA_SLEEF_D(name, ulp) Sleef_cinz_##name##d2_##ulp##sse2
#define TESSERA_SLEEF_F(name, ulp) Sleef_cinz_##name##f4_##ulp##sse2
inline __m128d load(const double* p) { return _mm_loadu_pd(p); }
inline __m128 load(const float* p) { return _mm_loadu_ps(p); }
inline void store(double* p, __m128d v) { _mm_storeu_pd(p, v); }
inline void store(float* p, __m128 v) { _mm_storeu_ps(p, v); }
template <class T>
constexpr std::int64_t kLanes = 16 / sizeof(T);
#include "vector_math_isa.inc"
#undef TESSERA_SLEEF_F
#undef TESSERA_SLEEF_D

}  // namespace sse2_unit

const VectorTable kSse2Table = {sse2_unit::unary64, sse2_unit::unary32, sse2_unit::binary64,
                                sse2_unit::binary32};

}  // namespace tessera::kernels::detail
