#include <algorithm>
#include <cmath>
#include <string>

#include "array_node.hpp"
#include "tessera/kernels/checked.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

namespace {

std::vector<std::int64_t> regular(std::int64_t extent, std::int64_t size) {
    std::vector<std::int64_t> out;
    if (extent == 0) return {0};
    for (std::int64_t left = extent; left > 0; left -= std::min(size, left))
        out.push_back(std::min(size, left));
    return out;
}

using kernels::shape_text;

/// The most blocks one array may have: each is at least a task and ~100 bytes of scheduler
/// state on rank 0, so more is a plan nobody can run (and would take minutes to build).
constexpr std::int64_t kMaxBlocks = std::int64_t{1} << 27;

/// Refuses, before any block list is made, an array whose element count, byte size or number of
/// blocks (`per_dim[d]` blocks along dimension d) does not fit.
void check_plan(const Shape& shape, DType dtype, const std::vector<std::int64_t>& per_dim) {
    const std::int64_t elements = kernels::shape_size(shape);
    kernels::checked_mul(elements, static_cast<std::int64_t>(kernels::dtype_size(dtype)),
                         "the byte size of an array of shape " + shape_text(shape));
    std::int64_t blocks = 1;
    for (auto n : per_dim) {
        blocks =
            kernels::checked_mul(blocks, std::max<std::int64_t>(n, 1),
                                 "the number of blocks of an array of shape " + shape_text(shape));
        if (blocks > kMaxBlocks)
            throw ValueError("an array of shape " + shape_text(shape) +
                             " in these chunks has more than " + std::to_string(kMaxBlocks) +
                             " blocks, more than a plan can hold: use larger chunks");
    }
}

std::int64_t blocks_along(std::int64_t extent, std::int64_t size) {
    return extent / size + (extent % size != 0);
}

}  // namespace

Chunks ChunkSpec::normalize(const Shape& shape, DType dtype) const {
    const std::size_t nd = shape.size();
    Chunks out(nd);
    if (auto_bytes_ > 0) {
        // Dask's "auto": equal block sides whose product fits the byte target, never past
        // the extent of a dimension.
        const double target =
            static_cast<double>(auto_bytes_) / static_cast<double>(kernels::dtype_size(dtype));
        std::int64_t side =
            nd ? static_cast<std::int64_t>(std::pow(target, 1.0 / static_cast<double>(nd))) : 1;
        side = std::max<std::int64_t>(side, 1);
        // Dimensions shorter than the side give their slack to the others.
        double budget = target;
        std::size_t free_dims = nd;
        for (std::size_t d = 0; d < nd; ++d)
            if (shape[d] < side) {
                budget /= std::max<std::int64_t>(shape[d], 1);
                --free_dims;
            }
        if (free_dims > 0)
            side = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::pow(
                                                 budget, 1.0 / static_cast<double>(free_dims))));
        std::vector<std::int64_t> sides(nd), per_dim(nd);
        for (std::size_t d = 0; d < nd; ++d) {
            sides[d] = std::max<std::int64_t>(1, std::min(side, shape[d]));
            per_dim[d] = blocks_along(shape[d], sides[d]);
        }
        check_plan(shape, dtype, per_dim);
        for (std::size_t d = 0; d < nd; ++d) out[d] = regular(shape[d], sides[d]);
        return out;
    }
    if (auto* sizes = std::get_if<std::vector<std::int64_t>>(&spec_)) {
        if (!uniform_ && sizes->size() != nd)
            throw UsageError("chunks have " + std::to_string(sizes->size()) +
                             " entries for an array of shape " + shape_text(shape));
        std::vector<std::int64_t> sizes_of(nd), per_dim(nd);
        for (std::size_t d = 0; d < nd; ++d) {
            std::int64_t size = uniform_ ? (*sizes)[0] : (*sizes)[d];
            if (size == -1) size = std::max<std::int64_t>(shape[d], 1);
            if (size <= 0)
                throw UsageError("chunk size " + std::to_string(size) + " is not positive");
            sizes_of[d] = size;
            per_dim[d] = blocks_along(shape[d], size);
        }
        check_plan(shape, dtype, per_dim);
        for (std::size_t d = 0; d < nd; ++d) out[d] = regular(shape[d], sizes_of[d]);
        return out;
    }
    const Chunks& given = std::get<Chunks>(spec_);
    if (given.size() != nd)
        throw UsageError("chunks have " + std::to_string(given.size()) + " dimensions, the array " +
                         shape_text(shape) + " has " + std::to_string(nd));
    for (std::size_t d = 0; d < nd; ++d) {
        std::int64_t total = 0;
        for (auto c : given[d]) {
            if (c < 0) throw UsageError("negative chunk size in dimension " + std::to_string(d));
            total =
                kernels::checked_add(total, c, "the chunks along dimension " + std::to_string(d));
        }
        if (total != shape[d] || given[d].empty())
            throw UsageError("chunks along dimension " + std::to_string(d) + " add up to " +
                             std::to_string(total) + ", not to the extent " +
                             std::to_string(shape[d]));
    }
    std::vector<std::int64_t> per_dim(nd);
    for (std::size_t d = 0; d < nd; ++d) per_dim[d] = static_cast<std::int64_t>(given[d].size());
    check_plan(shape, dtype, per_dim);
    return given;
}

namespace detail {

std::vector<std::int64_t> chunk_offsets(const std::vector<std::int64_t>& sizes) {
    std::vector<std::int64_t> o{0};
    for (auto s : sizes) o.push_back(o.back() + s);
    return o;
}

Shape block_shape(const Chunks& chunks, const std::vector<std::int64_t>& coords) {
    Shape s(chunks.size());
    for (std::size_t d = 0; d < chunks.size(); ++d)
        s[d] = chunks[d][static_cast<std::size_t>(coords[d])];
    return s;
}

std::vector<std::int64_t> block_offset(const Chunks& chunks,
                                       const std::vector<std::int64_t>& coords) {
    std::vector<std::int64_t> o(chunks.size(), 0);
    for (std::size_t d = 0; d < chunks.size(); ++d)
        for (std::int64_t b = 0; b < coords[d]; ++b) o[d] += chunks[d][static_cast<std::size_t>(b)];
    return o;
}

std::int64_t grid_size(const Chunks& chunks) {
    std::int64_t n = 1;
    for (const auto& c : chunks)
        n = kernels::checked_mul(n, static_cast<std::int64_t>(c.size()), "the number of blocks");
    return n;
}

std::vector<std::int64_t> block_coords(const Chunks& chunks, std::int64_t flat) {
    std::vector<std::int64_t> c(chunks.size());
    for (std::size_t d = chunks.size(); d-- > 0;) {
        const auto n = static_cast<std::int64_t>(chunks[d].size());
        c[d] = flat % n;
        flat /= n;
    }
    return c;
}

std::int64_t block_flat(const Chunks& chunks, const std::vector<std::int64_t>& coords) {
    std::int64_t f = 0;
    for (std::size_t d = 0; d < chunks.size(); ++d)
        f = f * static_cast<std::int64_t>(chunks[d].size()) + coords[d];
    return f;
}

}  // namespace detail
}  // namespace tessera
