#include "tessera/kernels/vector_math.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

#include "vector_math_table.hpp"

namespace tessera::kernels {

namespace {

const detail::VectorTable& table(VectorIsa isa) {
    switch (isa) {
#if defined(__x86_64__)
        case VectorIsa::kAvx:
            return detail::kAvxTable;
        case VectorIsa::kSse2:
            return detail::kSse2Table;
#endif
        default:
            return detail::kScalarTable;
    }
}

/// Where a SLEEF function forms an intermediate that overflows (1 + x in log1p, exp(|x|) in
/// sinh and cosh, x * x in arcsinh and arccosh), elements beyond that point get the identity
/// that holds there instead. Those come through the same unit's functions or in wider
/// precision, so the bits still do not depend on the unit.
template <class T, class Unary>
void beyond_range(Op op, const T* x, T* out, std::int64_t n, Unary unary) {
    using Wide = std::conditional_t<std::is_same_v<T, float>, double, long double>;
    constexpr bool single = std::is_same_v<T, float>;
    constexpr T largest = std::numeric_limits<T>::max();
    switch (op) {
        case Op::kLog1p: {  // log1p(x) rounds to log(x) long before (from 2^53 on)
            const T limit = single ? T(1e30) : T(1e300);
            for (std::int64_t k = 0; k < n; ++k)
                if (x[k] > limit) unary(Op::kLog, x + k, out + k, 1);
            return;
        }
        case Op::kSinh:
        case Op::kCosh: {  // exp(|x|) / 2, in wider precision: it is finite a little further
            const T limit = single ? T(88) : T(709);
            for (std::int64_t k = 0; k < n; ++k) {
                if (!(std::abs(x[k]) > limit)) continue;
                const auto half = static_cast<T>(std::exp(static_cast<Wide>(std::abs(x[k]))) / 2);
                out[k] = op == Op::kSinh && x[k] < 0 ? -half : half;
            }
            return;
        }
        case Op::kArcsinh:
        case Op::kArccosh: {  // log(2|x|), the next term 1 / (4 x^2) being far below an ULP
            const T limit = single ? T(1e18) : T(1e150);
            for (std::int64_t k = 0; k < n; ++k) {
                const T a = std::abs(x[k]);
                if (!(a > limit) || (op == Op::kArccosh && x[k] < 0)) continue;
                T log_a;
                if (a <= largest / 2) {
                    const T twice = 2 * a;
                    unary(Op::kLog, &twice, &log_a, 1);
                } else {
                    unary(Op::kLog, &a, &log_a, 1);
                    log_a += static_cast<T>(0.693147180559945309417232121458176568L);
                }
                out[k] = op == Op::kArcsinh && x[k] < 0 ? -log_a : log_a;
            }
            return;
        }
        default:
            return;
    }
}

}  // namespace

VectorIsa vector_isa() {
#if defined(__x86_64__)
    // The check includes the operating system's saving of the AVX registers.
    static const VectorIsa best =
        __builtin_cpu_supports("avx") ? VectorIsa::kAvx : VectorIsa::kSse2;
    return best;
#else
    return VectorIsa::kScalar;
#endif
}

std::string_view vector_isa_name(VectorIsa isa) {
    switch (isa) {
        case VectorIsa::kAvx:
            return "avx";
        case VectorIsa::kSse2:
            return "sse2";
        case VectorIsa::kScalar:
            break;
    }
    return "scalar";
}

void vector_math(Op op, const double* x, double* out, std::int64_t n, VectorIsa isa) {
    const auto unary = table(isa).unary64;
    unary(op, x, out, n);
    beyond_range(op, x, out, n, unary);
}
void vector_math(Op op, const float* x, float* out, std::int64_t n, VectorIsa isa) {
    const auto unary = table(isa).unary32;
    unary(op, x, out, n);
    beyond_range(op, x, out, n, unary);
}
void vector_math(Op op, const double* x, const double* y, double* out, std::int64_t n,
                 VectorIsa isa) {
    table(isa).binary64(op, x, y, out, n);
}
void vector_math(Op op, const float* x, const float* y, float* out, std::int64_t n, VectorIsa isa) {
    table(isa).binary32(op, x, y, out, n);
}

}  // namespace tessera::kernels
