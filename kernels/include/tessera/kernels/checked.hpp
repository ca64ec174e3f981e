#pragma once
// Size arithmetic that cannot overflow silently: element counts, block counts, offsets and byte
// sizes go through these, and an overflow is a ValueError naming what was being computed.
#include <cstdint>
#include <string>

#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

/// a * b, or ValueError "`what` overflows 64 bits (a * b)".
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        throw ValueError(what + " overflows 64 bits (" + std::to_string(a) + " * " +
                         std::to_string(b) + ")");
    return r;
}

/// a + b, or ValueError "`what` overflows 64 bits (a + b)".
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& what) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        throw ValueError(what + " overflows 64 bits (" + std::to_string(a) + " + " +
                         std::to_string(b) + ")");
    return r;
}

}  // namespace tessera::kernels
