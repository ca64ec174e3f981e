// SLEEF's deterministic functions one element at a time (SLEEF's portable C build, "purec").
#include <sleef.h>

#include "vector_math_table.hpp"

namespace tessera::kernels::detail {
namespace scalar_unit {

#define TESSERA_SLEEF_D(name, ulp) Sleef_cinz_##name##d1_##ulp##purec
#define TESSERA_SLEEF_F(name, ulp) Sleef_cinz_##name##f1_##ulp##purec
inline double load(const double* p) { return *p; }
inline float load(const float* p) { return *p; }
inline void store(double* p, double v) { *p = v; }
inline void store(float* p, float v) { *p = v; }
template <class T>
constexpr std::int64_t kLanes = 1;
#include "vector_math_isa.inc"
#undef TESSERA_SLEEF_F
#undef TESSERA_SLEEF_D

}  // namespace scalar_unit

const VectorTable kScalarTable = {scalar_unit::unary64, scalar_unit::unary32, scalar_unit::binary64,
                                  scalar_unit::binary32};

}  // namespace tessera::kernels::detail
