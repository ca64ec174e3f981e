#pragma once
// Philox4x32-10, the counter-based generator of tessera's random arrays (kernels/src/philox.cpp).
#include <cstdint>

namespace tessera::kernels {

/// Counter `counter`'s two 64-bit words for `seed` (r0 << 32 | r1, r2 << 32 | r3).
void philox_pair(std::uint64_t seed, std::uint64_t counter, std::uint64_t& w0, std::uint64_t& w1);

/// The Philox4x32-10 words of counters first, first + 1, ..., first + n - 1 (n <= kPhiloxBatch)
/// for `seed`: words[2i] and words[2i + 1] are counter first + i's outputs (r0 << 32 | r1,
/// r2 << 32 | r3). Uses the fastest implementation the CPU has (AVX-512 by hand, else AVX2 or
/// baseline vectorised by the compiler); `portable` forces the plain C++ one, so the tests can
/// check both against Random123 on a machine that has AVX-512. `words` has room for
/// 2 * kPhiloxBatch values.
inline constexpr int kPhiloxBatch = 256;
void philox_batch(std::uint64_t seed, std::uint64_t first, int n, std::uint64_t* words,
                  bool portable = false);
/// The same for the n counters listed in `counters`, in any order: words[2i], words[2i + 1]
/// are counters[i]'s.
void philox_counters(std::uint64_t seed, const std::uint64_t* counters, int n, std::uint64_t* words,
                     bool portable = false);

}  // namespace tessera::kernels
