// User kernels on blocks: map_blocks, blockwise and map_overlap. A registered BlockKernel
// becomes the raw task function "blocks.<name>"; its spec says where the block sits, what the
// result must look like and, for map_overlap, how to build the halo.
#include <algorithm>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "array_tasks.hpp"
#include "materialize.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/runtime/error.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera {

namespace detail {
namespace {

struct UserBlockSpec {
    std::uint8_t overlap = 0;
    std::vector<std::int64_t> index, offset, array_shape, shape;  // shape: of the result block
    kernels::DType dtype = kernels::DType::kFloat64;
    // map_overlap
    std::vector<std::int64_t> depth;
    kernels::Boundary boundary = kernels::Boundary::kReflect;
    double constant = 0;
    std::vector<std::int64_t> low_edge, high_edge,
        present;  // present: which of the 3^nd neighbours follow
    static auto fields(auto& s) {
        return std::tie(s.overlap, s.index, s.offset, s.array_shape, s.shape, s.dtype, s.depth,
                        s.boundary, s.constant, s.low_edge, s.high_edge, s.present);
    }
};

}  // namespace

std::vector<TaskId> Materializer::build_map_blocks(const NodePtr& node) {
    const ArrayNode& n = *node;
    const auto& p = std::get<MapBlocksParams>(n.params);
    std::vector<const std::vector<TaskId>*> in;
    for (const auto& i : n.inputs) in.push_back(&blocks(i));
    const FunctionInfo& fn = p.function.task();
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        const auto c = block_coords(n.chunks, b);
        std::vector<TaskId> inputs;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const auto& src = n.inputs[k];
            std::vector<std::int64_t> ic(src->shape.size(), 0);
            for (std::size_t d = 0; d < c.size(); ++d) {
                const int j = p.follow[k][d];
                if (j >= 0 && src->chunks[static_cast<std::size_t>(j)].size() > 1)
                    ic[static_cast<std::size_t>(j)] = c[d];
            }
            inputs.push_back((*in[k])[static_cast<std::size_t>(block_flat(src->chunks, ic))]);
        }
        UserBlockSpec s;
        s.index = c;
        s.offset = block_offset(n.chunks, c);
        s.array_shape = n.shape;
        s.shape = block_shape(n.chunks, c);
        s.dtype = n.dtype;
        out.push_back(add(fn, encode_spec(s), inputs));
    }
    return out;
}

std::vector<TaskId> Materializer::build_overlap(const NodePtr& node) {
    const ArrayNode& n = *node;
    const auto& p = std::get<OverlapParams>(n.params);
    const NodePtr& src = n.inputs[0];
    const auto& in = blocks(src);
    const std::size_t nd = n.shape.size();
    const FunctionInfo& fn = p.function.task();
    std::size_t neighbours = 1;
    for (std::size_t d = 0; d < nd; ++d) neighbours *= 3;
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        const auto c = block_coords(n.chunks, b);
        UserBlockSpec s;
        s.overlap = 1;
        s.index = c;
        s.offset = block_offset(n.chunks, c);
        s.array_shape = n.shape;
        s.shape = block_shape(n.chunks, c);
        s.dtype = n.dtype;
        s.depth = p.halo.depth;
        s.boundary = p.halo.boundary;
        s.constant = p.halo.constant;
        for (std::size_t d = 0; d < nd; ++d) {
            s.low_edge.push_back(c[d] == 0);
            s.high_edge.push_back(c[d] + 1 == static_cast<std::int64_t>(n.chunks[d].size()));
        }
        std::vector<TaskId> inputs;
        for (std::size_t k = 0; k < neighbours; ++k) {
            // Offsets (-1, 0, 1) per dimension, row-major.
            std::vector<std::int64_t> nc(nd), offsets(nd);
            std::size_t rem = k;
            bool needed = true;
            for (std::size_t d = nd; d-- > 0;) {
                const auto off = static_cast<std::int64_t>(rem % 3) - 1;
                rem /= 3;
                const auto count = static_cast<std::int64_t>(n.chunks[d].size());
                std::int64_t x = c[d] + off;
                if (off != 0 && p.halo.depth[d] == 0) needed = false;
                if (x < 0 || x >= count) {
                    if (p.halo.boundary == kernels::Boundary::kPeriodic)
                        x = (x + count) % count;
                    else
                        needed = false;  // the kernel makes this halo up from the block itself
                }
                nc[d] = x;
                offsets[d] = off;
            }
            s.present.push_back(needed);
            if (!needed) continue;
            const TaskId neighbour = in[static_cast<std::size_t>(block_flat(src->chunks, nc))];
            if (std::all_of(offsets.begin(), offsets.end(), [](auto o) { return o == 0; })) {
                inputs.push_back(neighbour);
                continue;
            }
            // Only the halo travels: a slice of the neighbour, cut where the neighbour lives
            // (the strip of `depth` next to this block, whole along the other dimensions).
            SliceSpec cut;
            const Shape ns = block_shape(src->chunks, nc);
            for (std::size_t d = 0; d < nd; ++d) {
                const std::int64_t width =
                    offsets[d] == 0 ? ns[d] : std::min(p.halo.depth[d], ns[d]);
                cut.start.push_back(offsets[d] < 0 ? ns[d] - width : 0);
                cut.step.push_back(1);
                cut.shape.push_back(width);
            }
            cut.final_shape = cut.shape;
            inputs.push_back(add(tasks::slice, encode_spec(cut), {neighbour}));
        }
        out.push_back(add(fn, encode_spec(s), inputs));
    }
    return out;
}

}  // namespace detail

BlockFunction register_block_function(const std::string& name, const BlockKernel& kernel) {
    BlockFunction handle(name);
    handle.task_ = &register_raw_function(
        "blocks." + name, [name, kernel](std::span<const ArgView> args, Bytes& out) {
            const auto s = detail::read_spec<detail::UserBlockSpec>(args[0]);
            std::vector<Buffer> blocks;
            std::vector<std::int64_t> low;
            BlockInfo info{s.index, s.offset, s.array_shape};
            if (s.overlap) {
                std::vector<Buffer> present;
                for (std::size_t i = 1; i < args.size(); ++i)
                    present.push_back(detail::read_block(args[i]));
                std::vector<const Buffer*> neighbours;
                for (std::size_t k = 0, i = 0; k < s.present.size(); ++k)
                    neighbours.push_back(s.present[k] ? &present[i++] : nullptr);
                kernels::HaloSpec halo{s.depth, s.boundary, s.constant, {}, {}};
                for (auto v : s.low_edge) halo.at_low_edge.push_back(static_cast<std::uint8_t>(v));
                for (auto v : s.high_edge)
                    halo.at_high_edge.push_back(static_cast<std::uint8_t>(v));
                blocks.push_back(kernels::extend_with_halo(neighbours, halo, low));
                for (std::size_t d = 0; d < low.size(); ++d) info.offset[d] -= low[d];
            } else {
                for (std::size_t i = 1; i < args.size(); ++i)
                    blocks.push_back(detail::read_block(args[i]));
            }
            Buffer result = kernel(blocks, info);
            if (s.overlap) {
                if (result.shape() != blocks[0].shape())
                    throw ValueError("block function '" + name + "' returned shape " +
                                     detail::shape_text(result.shape()) +
                                     " for an extended block of shape " +
                                     detail::shape_text(blocks[0].shape()));
                Buffer trimmed(result.dtype(), s.shape);
                kernels::copy_region(result, low, trimmed,
                                     std::vector<std::int64_t>(s.shape.size(), 0), s.shape);
                result = std::move(trimmed);
            }
            if (result.dtype() != s.dtype || result.shape() != s.shape)
                throw ValueError("block function '" + name + "' returned a " +
                                 std::string(kernels::dtype_name(result.dtype())) +
                                 " block of shape " + detail::shape_text(result.shape()) +
                                 ", expected " + std::string(kernels::dtype_name(s.dtype)) +
                                 " of shape " + detail::shape_text(s.shape));
            detail::emit_block(std::move(result), out);
        });
    return handle;
}

const FunctionInfo& BlockFunction::task() const {
    return task_ ? *task_ : FunctionRegistry::instance().find("blocks." + name_);
}

Array map_blocks(const BlockFunction& fn, const std::vector<Array>& inputs0,
                 std::optional<DType> dtype, std::optional<Chunks> chunks) {
    fn.task();  // an unknown function fails here, when the graph is written
    if (inputs0.empty()) throw UsageError("map_blocks needs at least one input array");
    std::vector<Array> inputs = inputs0;
    auto [shape, aligned] = detail::broadcast(inputs);
    detail::MapBlocksParams p{fn, {}};
    for (const auto& a : inputs) {
        const std::size_t pad = shape.size() - a.shape().size();
        std::vector<int> follow(shape.size(), -1);
        for (std::size_t d = pad; d < shape.size(); ++d) follow[d] = static_cast<int>(d - pad);
        p.follow.push_back(follow);
    }
    Chunks out_chunks = aligned;
    if (chunks) {
        if (chunks->size() != aligned.size())
            throw UsageError("map_blocks: chunks have " + std::to_string(chunks->size()) +
                             " dimensions, the blocks " + std::to_string(aligned.size()));
        for (std::size_t d = 0; d < aligned.size(); ++d)
            if ((*chunks)[d].size() != aligned[d].size())
                throw UsageError(
                    "map_blocks: chunks must keep the number of blocks along dimension " +
                    std::to_string(d));
        out_chunks = *chunks;
        for (std::size_t d = 0; d < shape.size(); ++d) {
            shape[d] = 0;
            for (auto c : out_chunks[d]) shape[d] += c;
        }
    }
    auto n = std::make_shared<detail::ArrayNode>();
    n->kind = detail::ArrayNode::Kind::kMapBlocks;
    n->dtype = dtype.value_or(inputs[0].dtype());
    n->shape = shape;
    n->chunks = out_chunks;
    for (const auto& a : inputs) n->inputs.push_back(a.node());
    n->params = std::move(p);
    return Array(std::move(n));
}

Array blockwise(const BlockFunction& fn, const std::string& index,
                const std::vector<std::pair<Array, std::string>>& inputs0,
                std::optional<DType> dtype) {
    fn.task();  // an unknown function fails here, when the graph is written
    if (inputs0.empty()) throw UsageError("blockwise needs at least one input array");
    // Each letter of the output index takes its extent and chunks from the first input that has it.
    std::vector<std::int64_t> extent(index.size(), -1);
    Chunks chunks(index.size());
    std::vector<std::pair<Array, std::string>> inputs = inputs0;
    for (auto& [a, idx] : inputs) {
        if (static_cast<int>(idx.size()) != a.ndim())
            throw UsageError("blockwise: index '" + idx + "' does not match an array of " +
                             std::to_string(a.ndim()) + " dimensions");
        Chunks want = a.chunks();
        for (std::size_t j = 0; j < idx.size(); ++j) {
            const auto d = index.find(idx[j]);
            if (d == std::string::npos)
                throw UsageError("blockwise: index letter '" + std::string(1, idx[j]) +
                                 "' is not in the output index '" + index +
                                 "' (contractions are not supported)");
            if (extent[d] < 0) {
                extent[d] = a.shape()[j];
                chunks[d] = a.chunks()[j];
            } else if (extent[d] != a.shape()[j]) {
                throw UsageError("blockwise: dimension '" + std::string(1, idx[j]) +
                                 "' has extents " + std::to_string(extent[d]) + " and " +
                                 std::to_string(a.shape()[j]));
            } else {
                want[j] = chunks[d];
            }
        }
        a = a.rechunk(ChunkSpec(want));
    }
    for (std::size_t d = 0; d < index.size(); ++d)
        if (extent[d] < 0)
            throw UsageError("blockwise: output letter '" + std::string(1, index[d]) +
                             "' appears in no input");
    detail::MapBlocksParams p{fn, {}};
    auto n = std::make_shared<detail::ArrayNode>();
    for (const auto& [a, idx] : inputs) {
        std::vector<int> follow(index.size(), -1);
        for (std::size_t j = 0; j < idx.size(); ++j)
            follow[index.find(idx[j])] = static_cast<int>(j);
        p.follow.push_back(follow);
        n->inputs.push_back(a.node());
    }
    n->kind = detail::ArrayNode::Kind::kMapBlocks;
    n->dtype = dtype.value_or(inputs[0].first.dtype());
    n->shape = Shape(extent.begin(), extent.end());
    n->chunks = chunks;
    n->params = std::move(p);
    return Array(std::move(n));
}

Array map_overlap(const BlockFunction& fn, const Array& x, const std::vector<std::int64_t>& depth,
                  kernels::Boundary boundary, double constant, std::optional<DType> dtype) {
    fn.task();  // an unknown function fails here, when the graph is written
    if (static_cast<int>(depth.size()) != x.ndim())
        throw UsageError("map_overlap: depth has " + std::to_string(depth.size()) +
                         " entries for an array of " + std::to_string(x.ndim()) + " dimensions");
    for (std::size_t d = 0; d < depth.size(); ++d) {
        if (depth[d] < 0) throw UsageError("map_overlap: depth must be non-negative");
        const auto smallest = *std::min_element(x.chunks()[d].begin(), x.chunks()[d].end());
        if (depth[d] > smallest && x.shape()[d] > 0)
            throw UsageError("map_overlap: depth " + std::to_string(depth[d]) + " along axis " +
                             std::to_string(d) + " is larger than the smallest chunk there (" +
                             std::to_string(smallest) + "); rechunk to larger chunks first");
    }
    auto n = std::make_shared<detail::ArrayNode>();
    n->kind = detail::ArrayNode::Kind::kOverlap;
    n->dtype = dtype.value_or(x.dtype());
    n->shape = x.shape();
    n->chunks = x.chunks();
    n->inputs = {x.node()};
    n->params = detail::OverlapParams{fn, kernels::HaloSpec{depth, boundary, constant, {}, {}}};
    return Array(std::move(n));
}

}  // namespace tessera
