#pragma once
// Blocks made from nothing: constants, ranges, identity matrices and counter-based random
// numbers. Every block is computed from its global position alone, so an array is the same
// whatever its chunking and however many ranks make it.
#include <cstdint>
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/kernels/philox.hpp"

namespace tessera::kernels {

/// A block filled with `value` (converted to dtype).
Buffer fill_block(DType dtype, const Shape& shape, double value);

/// Elements start + step * i for the global flat indices i of a 1-d block at `offset`.
Buffer arange_block(DType dtype, std::int64_t offset, std::int64_t length, double start,
                    double step);

/// np.linspace's values for global indices [offset, offset + length) of `num` points.
Buffer linspace_block(DType dtype, std::int64_t offset, std::int64_t length, double start,
                      double stop, std::int64_t num, bool endpoint);

/// The block at `offset` of an identity-like matrix with ones on diagonal k.
Buffer eye_block(DType dtype, const Shape& shape, const std::vector<std::int64_t>& offset,
                 std::int64_t k);

enum class Distribution : std::uint8_t { kUniform, kNormal, kIntegers };

/// The random number of global flat index g: the element random_block gives at that index.
/// `cache` keeps the last Philox call, so consecutive elements of a pair share it.
struct PhiloxCache {
    std::uint64_t counter = ~std::uint64_t{0};
    std::uint64_t words[2] = {0, 0};
};
double random_value(Distribution dist, std::uint64_t seed, std::uint64_t g, double a, double b,
                    PhiloxCache& cache);

/// Random numbers from Random123's Philox4x32-10, keyed by `seed`, counter = the element's global
/// flat index in `global_shape`. Uniform: [a, b); normal: mean a, standard deviation b;
/// integers: [a, b).
Buffer random_block(Distribution dist, std::uint64_t seed, DType dtype, const Shape& global_shape,
                    const std::vector<std::int64_t>& offset, const Shape& shape, double a,
                    double b);
/// Elements [start, start + count) (C order) of that block into `out` (values of `dtype`),
/// serially: a random input made piece by piece by the program that reads it.
void random_range(Distribution dist, std::uint64_t seed, DType dtype, const Shape& global_shape,
                  const std::vector<std::int64_t>& offset, const Shape& shape, double a, double b,
                  std::int64_t start, std::int64_t count, std::byte* out);
/// Elements [start, start + count) (C order) of the transpose of that 2-d block: what
/// random_range gives for the block's transpose, drawn in the order they are read, so that a
/// program reading x.T of random x never stores or transposes the block.
void random_range_transposed(Distribution dist, std::uint64_t seed, DType dtype,
                             const Shape& global_shape, const std::vector<std::int64_t>& offset,
                             const Shape& shape, double a, double b, std::int64_t start,
                             std::int64_t count, std::byte* out);

}  // namespace tessera::kernels
