#pragma once
// Transcendental functions over arrays of floats, a vector at a time, through SLEEF's
// deterministic functions (the "cinz" family: no fused multiply-adds, no flush to zero). They
// give the same bits at every vector width (a NaN's sign aside: SLEEF's float cbrt on SSE2), so
// a result does not depend on the machine's vector unit, on how a block was cut into tiles, or
// on the rank count. Accuracy: at most 1.0 ULP from
// the correctly rounded result for every function here, 0.5 ULP for hypot (SLEEF's u10 and u05
// variants, checked by SLEEF against MPFR); special values (NaN, infinities, signed zeros) as
// C99 specifies, which is what NumPy returns.
#include <cstdint>
#include <string_view>

#include "tessera/kernels/elementwise.hpp"

namespace tessera::kernels {

/// The vector units the functions run on: 1, 2 and 4 doubles (4, 8 floats) at a time.
enum class VectorIsa : std::uint8_t { kScalar, kSse2, kAvx };

/// The widest this CPU offers, chosen once.
VectorIsa vector_isa();
std::string_view vector_isa_name(VectorIsa isa);

/// Whether `op` on floats goes through these functions.
constexpr bool has_vector_math(Op op) {
    switch (op) {
        case Op::kExp:
        case Op::kExp2:
        case Op::kExpm1:
        case Op::kLog:
        case Op::kLog2:
        case Op::kLog10:
        case Op::kLog1p:
        case Op::kSin:
        case Op::kCos:
        case Op::kTan:
        case Op::kArcsin:
        case Op::kArccos:
        case Op::kArctan:
        case Op::kSinh:
        case Op::kCosh:
        case Op::kTanh:
        case Op::kArcsinh:
        case Op::kArccosh:
        case Op::kArctanh:
        case Op::kCbrt:
        case Op::kPow:
        case Op::kArctan2:
        case Op::kHypot:
            return true;
        default:
            return false;
    }
}

/// out[k] = op(x[k]) for k < n (a unary op of has_vector_math); out must not overlap x.
void vector_math(Op op, const double* x, double* out, std::int64_t n, VectorIsa isa = vector_isa());
void vector_math(Op op, const float* x, float* out, std::int64_t n, VectorIsa isa = vector_isa());
/// out[k] = op(x[k], y[k]) (power, arctan2, hypot).
void vector_math(Op op, const double* x, const double* y, double* out, std::int64_t n,
                 VectorIsa isa = vector_isa());
void vector_math(Op op, const float* x, const float* y, float* out, std::int64_t n,
                 VectorIsa isa = vector_isa());

}  // namespace tessera::kernels
