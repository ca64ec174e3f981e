// SLEEF's deterministic functions: every vector unit gives the same bits, wherever a tile ends,
// and the special values are C99's. Accuracy against NumPy is tests/scripts/check_math.py.
#include "tessera/kernels/vector_math.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

using namespace tessera::kernels;

namespace {

constexpr Op kUnary[] = {Op::kExp,    Op::kExp2,    Op::kExpm1,   Op::kLog,     Op::kLog2,
                         Op::kLog10,  Op::kLog1p,   Op::kSin,     Op::kCos,     Op::kTan,
                         Op::kArcsin, Op::kArccos,  Op::kArctan,  Op::kSinh,    Op::kCosh,
                         Op::kTanh,   Op::kArcsinh, Op::kArccosh, Op::kArctanh, Op::kCbrt};
constexpr Op kBinary[] = {Op::kPow, Op::kArctan2, Op::kHypot};

std::vector<VectorIsa> units() {
    std::vector<VectorIsa> u{VectorIsa::kScalar};
#if defined(__x86_64__)
    u.push_back(VectorIsa::kSse2);
    if (vector_isa() == VectorIsa::kAvx) u.push_back(VectorIsa::kAvx);
#endif
    return u;
}

/// Values across every range the functions handle differently, and the special ones.
template <class T>
std::vector<T> inputs(std::uint32_t seed) {
    constexpr T inf = std::numeric_limits<T>::infinity();
    std::vector<T> x = {0,
                        -T(0),
                        1,
                        -1,
                        T(0.5),
                        inf,
                        -inf,
                        std::numeric_limits<T>::quiet_NaN(),
                        std::numeric_limits<T>::denorm_min(),
                        std::numeric_limits<T>::min(),
                        std::numeric_limits<T>::max(),
                        -std::numeric_limits<T>::max(),
                        T(1e-8),
                        T(710),
                        T(-745),
                        T(89),
                        T(1e22),
                        T(3.141592653589793)};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(-1, 1), exponent(-30, 30);
    for (int k = 0; k < 1000; ++k)
        x.push_back(static_cast<T>(unit(rng) * std::pow(2.0, exponent(rng))));
    return x;
}

/// The same bits, except that a NaN's sign may differ between units (SLEEF's cbrtf on SSE2).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    for (std::size_t k = 0; k < a.size(); ++k)
        if (std::bit_cast<Bits>(a[k]) != std::bit_cast<Bits>(b[k]) &&
            !(std::isnan(a[k]) && std::isnan(b[k])))
            return false;
    return true;
}

template <class T>
void every_unit_gives_the_same_bits() {
    const std::vector<T> x = inputs<T>(1), y = inputs<T>(2);
    const auto n = static_cast<std::int64_t>(x.size());
    for (Op op : kUnary) {
        std::vector<T> want(x.size());
        vector_math(op, x.data(), want.data(), n, VectorIsa::kScalar);
        for (VectorIsa isa : units()) {
            std::vector<T> got(x.size());
            vector_math(op, x.data(), got.data(), n, isa);
            EXPECT_TRUE(same_bits(got, want)) << op_name(op) << " on " << vector_isa_name(isa);
            // Tiles that end anywhere: every element alike, however the vectors are cut.
            std::vector<T> pieces(x.size());
            for (std::int64_t at = 0, len = 1; at < n; at += len, len = len % 7 + 1)
                vector_math(op, x.data() + at, pieces.data() + at, std::min(len, n - at), isa);
            EXPECT_TRUE(same_bits(pieces, want))
                << op_name(op) << " in pieces on " << vector_isa_name(isa);
        }
    }
    for (Op op : kBinary) {
        std::vector<T> want(x.size());
        vector_math(op, x.data(), y.data(), want.data(), n, VectorIsa::kScalar);
        for (VectorIsa isa : units()) {
            std::vector<T> got(x.size());
            vector_math(op, x.data(), y.data(), got.data(), n - 3, isa);
            vector_math(op, x.data() + n - 3, y.data() + n - 3, got.data() + n - 3, 3, isa);
            EXPECT_TRUE(same_bits(got, want)) << op_name(op) << " on " << vector_isa_name(isa);
        }
    }
}

}  // namespace

TEST(VectorMath, EveryUnitGivesTheSameBitsFloat64) { every_unit_gives_the_same_bits<double>(); }
TEST(VectorMath, EveryUnitGivesTheSameBitsFloat32) { every_unit_gives_the_same_bits<float>(); }

/// The reference: the long double functions (11 more bits than double), rounded.
long double reference(Op op, long double x) {
    switch (op) {
        case Op::kExp:
            return std::exp(x);
        case Op::kExp2:
            return std::exp2(x);
        case Op::kExpm1:
            return std::expm1(x);
        case Op::kLog:
            return std::log(x);
        case Op::kLog2:
            return std::log2(x);
        case Op::kLog10:
            return std::log10(x);
        case Op::kLog1p:
            return std::log1p(x);
        case Op::kSin:
            return std::sin(x);
        case Op::kCos:
            return std::cos(x);
        case Op::kTan:
            return std::tan(x);
        case Op::kArcsin:
            return std::asin(x);
        case Op::kArccos:
            return std::acos(x);
        case Op::kArctan:
            return std::atan(x);
        case Op::kSinh:
            return std::sinh(x);
        case Op::kCosh:
            return std::cosh(x);
        case Op::kTanh:
            return std::tanh(x);
        case Op::kArcsinh:
            return std::asinh(x);
        case Op::kArccosh:
            return std::acosh(x);
        case Op::kArctanh:
            return std::atanh(x);
        default:
            return std::cbrt(x);
    }
}

/// The error of `got` in units in the last place of the correctly rounded value of `want`.
template <class T>
double ulp_error(T got, long double want) {
    const T rounded = static_cast<T>(want);
    if (std::isnan(want) || std::isinf(rounded))
        return std::isnan(want) == std::isnan(got) && (std::isnan(want) || got == rounded) ? 0
                                                                                           : 1e9;
    const T ulp =
        std::nextafter(std::abs(rounded), std::numeric_limits<T>::infinity()) - std::abs(rounded);
    return static_cast<double>(std::abs(static_cast<long double>(got) - want) / ulp);
}

template <class T>
void within_one_ulp() {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> mantissa(-1, 1);
    constexpr int kMaxExponent = std::numeric_limits<T>::max_exponent;
    std::uniform_int_distribution<int> wide(std::numeric_limits<T>::min_exponent - 20,
                                            kMaxExponent),
        near(-6, 12);
    std::vector<T> x(40000);
    for (std::size_t k = 0; k < x.size(); ++k)
        x[k] = static_cast<T>(std::ldexp(mantissa(rng), k % 2 ? wide(rng) : near(rng)));
    std::vector<T> got(x.size());
    for (Op op : kUnary) {
        vector_math(op, x.data(), got.data(), static_cast<std::int64_t>(x.size()));
        double worst = 0;
        T at = 0;
        for (std::size_t k = 0; k < x.size(); ++k) {
            const double e = ulp_error(got[k], reference(op, x[k]));
            if (e > worst) {
                worst = e;
                at = x[k];
            }
        }
        // SLEEF's bound is 1.0 ULP; the reference's own rounding adds a little.
        EXPECT_LE(worst, 1.01) << op_name(op) << " at " << at;
    }
}

TEST(VectorMath, WithinOneUlpOfALongDoubleReferenceFloat64) { within_one_ulp<double>(); }
TEST(VectorMath, WithinOneUlpOfALongDoubleReferenceFloat32) { within_one_ulp<float>(); }

TEST(VectorMath, SpecialValuesAreC99s) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    auto f = [](Op op, double x) {
        double y;
        vector_math(op, &x, &y, 1);
        return y;
    };
    auto g = [](Op op, double x, double y) {
        double r;
        vector_math(op, &x, &y, &r, 1);
        return r;
    };
    EXPECT_EQ(f(Op::kExp, -inf), 0);
    EXPECT_EQ(f(Op::kExp, inf), inf);
    EXPECT_EQ(f(Op::kLog, 0), -inf);
    EXPECT_TRUE(std::isnan(f(Op::kLog, -1)));
    EXPECT_TRUE(std::signbit(f(Op::kSin, -0.0)));
    EXPECT_TRUE(std::isnan(f(Op::kSin, inf)));
    EXPECT_EQ(f(Op::kTanh, inf), 1);
    EXPECT_EQ(f(Op::kArctanh, 1), inf);
    EXPECT_TRUE(std::isnan(f(Op::kArccosh, 0.5)));
    EXPECT_EQ(f(Op::kCbrt, -8), -2);
    EXPECT_EQ(g(Op::kPow, std::nan(""), 0), 1);
    EXPECT_EQ(g(Op::kPow, 1, std::nan("")), 1);
    EXPECT_EQ(g(Op::kPow, -2, 3), -8);
    EXPECT_TRUE(std::isnan(g(Op::kPow, -2, 0.5)));
    EXPECT_EQ(g(Op::kHypot, inf, std::nan("")), inf);
    EXPECT_EQ(g(Op::kArctan2, 0.0, -1), std::acos(-1.0));
    EXPECT_EQ(g(Op::kArctan2, -0.0, -1), -std::acos(-1.0));
}
