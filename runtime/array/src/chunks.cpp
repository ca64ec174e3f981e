#include <algorithm>
#include <cmath>
#include <string>

#include "array_node.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

namespace {

std::vector<std::int64_t> regular(std::int64_t extent, std::int64_t size) {
    std::vector<std::int64_t> out;
    if (extent == 0) return {0};
    for (std::int64_t s = 0; s < extent; s += size) out.push_back(std::min(size, extent - s));
    return out;
}

using kernels::shape_text;

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
        for (std::size_t d = 0; d < nd; ++d)
            out[d] = regular(shape[d], std::max<std::int64_t>(1, std::min(side, shape[d])));
        return out;
    }
    if (auto* sizes = std::get_if<std::vector<std::int64_t>>(&spec_)) {
        if (!uniform_ && sizes->size() != nd)
            throw UsageError("chunks have " + std::to_string(sizes->size()) +
                             " entries for an array of shape " + shape_text(shape));
        for (std::size_t d = 0; d < nd; ++d) {
            std::int64_t size = uniform_ ? (*sizes)[0] : (*sizes)[d];
            if (size == -1) size = std::max<std::int64_t>(shape[d], 1);
            if (size <= 0)
                throw UsageError("chunk size " + std::to_string(size) + " is not positive");
            out[d] = regular(shape[d], size);
        }
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
            total += c;
        }
        if (total != shape[d] || given[d].empty())
            throw UsageError("chunks along dimension " + std::to_string(d) + " add up to " +
                             std::to_string(total) + ", not to the extent " +
                             std::to_string(shape[d]));
    }
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
    for (const auto& c : chunks) n *= static_cast<std::int64_t>(c.size());
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
