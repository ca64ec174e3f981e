// Philox4x32-10 (Salmon et al., Random123): the one counter-based generator behind every random
// array, so that a block's numbers depend on the seed and the elements' global indices only (not
// on chunking or the rank count). A scalar form (Random123 itself), a portable batch form the
// compiler vectorises, and AVX-512 by hand; the tests check the batch forms against Random123.
#include "tessera/kernels/philox.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <bit>

#include "tessera/kernels/error.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tessera::kernels {

void philox_pair(std::uint64_t seed, std::uint64_t counter, std::uint64_t& w0, std::uint64_t& w1) {
    r123::Philox4x32 rng;
    r123::Philox4x32::ctr_type ctr = {
        {static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), 0, 0}};
    r123::Philox4x32::key_type key = {
        {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    const auto r = rng(ctr, key);
    w0 = (static_cast<std::uint64_t>(r[0]) << 32) | r[1];
    w1 = (static_cast<std::uint64_t>(r[2]) << 32) | r[3];
}

namespace {

constexpr int kLanes = kPhiloxBatch;

/// Philox4x32-10 of counters first, first + 1, ... (counter = {lo, hi, 0, 0}), `n` <= kLanes
/// of them, as philox_words' two words per counter, interleaved: words[2i], words[2i + 1].
/// The portable form, in the layout the compiler vectorises, built for AVX2 and baseline
/// x86-64 and picked at load time (Random123 is its reference in the tests).
/// With `counters` set, its n values are the counters instead (in any order).
__attribute__((target_clones("avx2", "default"))) void philox_lanes(std::uint64_t seed,
                                                                    std::uint64_t first,
                                                                    const std::uint64_t* counters,
                                                                    int n, std::uint64_t* words) {
    constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u,
                            kW1 = 0xBB67AE85u;
    alignas(64) std::uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
    for (int i = 0; i < n; ++i) {
        const std::uint64_t c = counters ? counters[i] : first + static_cast<std::uint64_t>(i);
        c0[i] = static_cast<std::uint32_t>(c);
        c1[i] = static_cast<std::uint32_t>(c >> 32);
        c2[i] = 0;
        c3[i] = 0;
    }
    std::uint32_t k0 = static_cast<std::uint32_t>(seed),
                  k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += kW0;
            k1 += kW1;
        }
        for (int i = 0; i < n; ++i) {
            const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0[i];
            const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2[i];
            const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[i] ^ k0;
            const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[i] ^ k1;
            c1[i] = static_cast<std::uint32_t>(p1);
            c3[i] = static_cast<std::uint32_t>(p0);
            c0[i] = n0;
            c2[i] = n2;
        }
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        words[2 * i] = (static_cast<std::uint64_t>(c0[i]) << 32) | c1[i];
        words[2 * i + 1] = (static_cast<std::uint64_t>(c2[i]) << 32) | c3[i];
    }
}

#if defined(__x86_64__)
// GCC 12 flags the placeholder operand inside its own AVX-512 shift intrinsics as maybe
// uninitialised (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/// The same with AVX-512 by hand, 32 counters per step (the compiler's version of the loop
/// above runs at a third of this speed): each counter word lives in a 64-bit lane, so one
/// vpmuludq gives eight full 32x32->64 products; the high halves left in the lanes between
/// rounds only ever meet a multiply (which reads the low half) or the final mask. Computes n
/// rounded up to 32 counters: `words` has room for 2 * kPhiloxBatch (a list of `counters` is
/// read only up to n).
__attribute__((target("avx512f"))) void philox_lanes_avx512(std::uint64_t seed, std::uint64_t first,
                                                            const std::uint64_t* counters, int n,
                                                            std::uint64_t* words) {
    constexpr int kVectors = 4;  // independent chains to cover the multiplies' latency
    const __m512i m0 = _mm512_set1_epi64(0xD2511F53u), m1 = _mm512_set1_epi64(0xCD9E8D57u);
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFFu);
    __m512i key0[10], key1[10];
    std::uint32_t k0 = static_cast<std::uint32_t>(seed),
                  k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round, k0 += 0x9E3779B9u, k1 += 0xBB67AE85u) {
        key0[round] = _mm512_set1_epi64(k0);
        key1[round] = _mm512_set1_epi64(k1);
    }
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i first_half = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0),
                  second_half = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    constexpr int kXor3 = 0x96;  // ternary logic: a ^ b ^ c
    for (int base = 0; base < n; base += 8 * kVectors) {
        __m512i c0[kVectors], c1[kVectors], c2[kVectors], c3[kVectors];
        for (int v = 0; v < kVectors; ++v) {
            const int at = base + 8 * v;
            const __m512i c =
                counters ? _mm512_maskz_loadu_epi64(
                               static_cast<__mmask8>(at < n ? (1u << std::min(8, n - at)) - 1 : 0),
                               counters + at)
                         : _mm512_add_epi64(_mm512_set1_epi64(std::bit_cast<long long>(
                                                first + static_cast<std::uint64_t>(at))),
                                            lane);
            c0[v] = _mm512_and_si512(c, low);
            c1[v] = _mm512_srli_epi64(c, 32);
            c2[v] = c3[v] = _mm512_setzero_si512();
        }
        for (int round = 0; round < 10; ++round)
            for (int v = 0; v < kVectors; ++v) {
                const __m512i p0 = _mm512_mul_epu32(c0[v], m0), p1 = _mm512_mul_epu32(c2[v], m1);
                c0[v] =
                    _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), c1[v], key0[round], kXor3);
                c2[v] =
                    _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), c3[v], key1[round], kXor3);
                c1[v] = p1;
                c3[v] = p0;
            }
        for (int v = 0; v < kVectors; ++v) {
            const __m512i w0 =
                _mm512_or_si512(_mm512_slli_epi64(c0[v], 32), _mm512_and_si512(c1[v], low));
            const __m512i w1 =
                _mm512_or_si512(_mm512_slli_epi64(c2[v], 32), _mm512_and_si512(c3[v], low));
            std::uint64_t* out = words + 2 * static_cast<std::size_t>(base + 8 * v);
            _mm512_storeu_si512(out, _mm512_permutex2var_epi64(w0, first_half, w1));
            _mm512_storeu_si512(out + 8, _mm512_permutex2var_epi64(w0, second_half, w1));
        }
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

}  // namespace

namespace {

void philox_any(std::uint64_t seed, std::uint64_t first, const std::uint64_t* counters, int n,
                std::uint64_t* words, bool portable) {
    if (n < 0 || n > kLanes) throw ValueError("philox_batch: 0 to 256 counters at a time");
#if defined(__x86_64__)
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    if (avx512 && !portable) return philox_lanes_avx512(seed, first, counters, n, words);
#endif
    philox_lanes(seed, first, counters, n, words);
}

}  // namespace

void philox_batch(std::uint64_t seed, std::uint64_t first, int n, std::uint64_t* words,
                  bool portable) {
    philox_any(seed, first, nullptr, n, words, portable);
}

void philox_counters(std::uint64_t seed, const std::uint64_t* counters, int n, std::uint64_t* words,
                     bool portable) {
    philox_any(seed, 0, counters, n, words, portable);
}

}  // namespace tessera::kernels
