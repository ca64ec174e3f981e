#pragma once
// Structural kernels on blocks: transposes, strided slices, copies between regions (the pieces
// of concatenation, rechunking and assembling results) and dense products through BLAS.
#include <cstdint>
#include <vector>

#include "tessera/kernels/buffer.hpp"

namespace tessera::kernels {

/// out[i_perm[0], ...] layout: out.shape[d] = in.shape[perm[d]] (np.transpose).
Buffer transpose_block(const Buffer& in, const std::vector<int>& perm);

/// Elements start[d] + step[d] * i for i < out_shape[d] (step > 0 or < 0).
Buffer slice_block(const Buffer& in, const std::vector<std::int64_t>& start,
                   const std::vector<std::int64_t>& step, const Shape& out_shape);

/// Copies the region [src_start, src_start + extent) of src to [dst_start, ...) of dst.
void copy_region(const Buffer& src, const std::vector<std::int64_t>& src_start, Buffer& dst,
                 const std::vector<std::int64_t>& dst_start, const Shape& extent);
/// The same between C-order arrays of `element` bytes anywhere in memory (a piece packed in a
/// message, say), the regions checked against the shapes.
void copy_region(std::size_t element, const std::byte* src, const Shape& src_shape,
                 const std::vector<std::int64_t>& src_start, std::byte* dst, const Shape& dst_shape,
                 const std::vector<std::int64_t>& dst_start, const Shape& extent);

/// c += a @ b for 2-d blocks, or a @ b.T when `b_transposed` (b is then read as stored, no
/// transposed copy is made): DGEMM/SGEMM for floats, plain loops for integers. c must have the
/// product's shape and dtype (the promoted dtype of a and b, which must already match).
void matmul_accumulate(const Buffer& a, const Buffer& b, Buffer& c, bool b_transposed = false);

/// The upper triangle (diagonal included) of c += a @ a.T: DSYRK/SSYRK for floats, half the
/// work of the full product. The lower triangle is left as it was; once the sum is complete,
/// mirror_upper_triangle makes c whole.
void gram_accumulate(const Buffer& a, Buffer& c);
/// c[j, i] = c[i, j] for j > i: a square block made symmetric from its upper triangle.
void mirror_upper_triangle(Buffer& c);

/// acc += x elementwise, for blocks of the same shape and dtype (partial products summed).
void add_into(Buffer& acc, const Buffer& x);

/// Converts a block to another dtype.
Buffer astype(const Buffer& in, DType dtype);

}  // namespace tessera::kernels
