// From array nodes to chunk tasks. Elementwise chains become one task per output block (and
// fold into the reduction that consumes them); reductions become a block task per input block
// and a fixed combine tree per output block; structural operations become one task per output
// block that reads only the input blocks it needs.
#include "materialize.hpp"

#include <algorithm>
#include <unordered_map>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "array_tasks.hpp"
#include "fingerprint.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/delayed.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera::detail {

namespace {

using Kind = ArrayNode::Kind;
using kernels::Instr;
using kernels::Op;

bool is_const_scalar(const NodePtr& n) {
    return n->kind == Kind::kCreate && n->shape.empty() &&
           std::get<CreateParams>(n->params).kind == CreateParams::Kind::kFill;
}

/// Blocks of this node cost less to make again in every task that reads them than to keep
/// and move between ranks: constants, ranges, identities and uniform or integer random numbers
/// (under a nanosecond per element; a transfer costs more, and memory). Normal draws, a log
/// and a cosine per pair, are made once.
bool made_by_consumers(const NodePtr& n) {
    if (n->kind != Kind::kCreate || n->shape.empty()) return false;
    const auto& p = std::get<CreateParams>(n->params);
    return p.kind != CreateParams::Kind::kRandom ||
           p.distribution != kernels::Distribution::kNormal;
}

/// The spec of an "array.transpose" task: the permutation of the block's axes.
Bytes transpose_spec(const std::vector<int>& perm) {
    return encode_spec(std::vector<std::int64_t>(perm.begin(), perm.end()));
}

CreateSpec create_spec(const ArrayNode& n, std::int64_t block) {
    const auto& p = std::get<CreateParams>(n.params);
    const auto c = block_coords(n.chunks, block);
    return CreateSpec{static_cast<std::uint8_t>(p.kind),
                      n.dtype,
                      p.a,
                      p.b,
                      p.n,
                      p.endpoint,
                      p.distribution,
                      p.seed,
                      n.shape,
                      block_offset(n.chunks, c),
                      block_shape(n.chunks, c)};
}

/// An input of a fused chain: a node's blocks, read directly or through a transpose.
struct Leaf {
    NodePtr source;         // whose blocks the task reads
    NodePtr view;           // the node the program sees (the transpose, or the source itself)
    std::vector<int> axes;  // the transpose's permutation; empty when read as stored
};

/// An elementwise chain compiled into one program: its leaves are the inputs of the tasks.
struct Fused {
    kernels::Program program;
    std::vector<Leaf> leaves;

    std::vector<std::vector<std::int64_t>> axes() const {
        std::vector<std::vector<std::int64_t>> a;
        for (const auto& l : leaves) a.emplace_back(l.axes.begin(), l.axes.end());
        return a;
    }
};

class Fuser {
public:
    Fused run(const NodePtr& root) {
        fused_.program.code.clear();
        result(root);
        fused_.program.num_inputs = static_cast<std::uint16_t>(fused_.leaves.size());
        fused_.program.validate();
        return std::move(fused_);
    }

private:
    std::uint16_t emit(Instr ins) {
        fused_.program.code.push_back(ins);
        return static_cast<std::uint16_t>(fused_.program.code.size() - 1);
    }
    std::uint16_t cast(std::uint16_t reg, DType to) {
        if (fused_.program.code[reg].dtype == to) return reg;
        Instr c;
        c.op = Op::kCast;
        c.dtype = to;
        c.a = reg;
        return emit(c);
    }
    std::uint16_t result(const NodePtr& n) {
        if (auto it = registers_.find(n.get()); it != registers_.end()) return it->second;
        std::uint16_t reg;
        if (is_const_scalar(n)) {
            Instr c;
            c.op = Op::kConst;
            c.dtype = n->dtype;
            c.f = std::get<CreateParams>(n->params).a;
            c.i = static_cast<std::int64_t>(c.f);
            reg = emit(c);
        } else if (n->kind != Kind::kElementwise) {
            Instr in;
            in.op = Op::kInput;
            in.dtype = n->dtype;
            in.a = static_cast<std::uint16_t>(fused_.leaves.size());
            // A transpose is read through strided loads instead of being made as a block.
            if (n->kind == Kind::kTranspose)
                fused_.leaves.push_back(
                    {n->inputs[0], n, std::get<TransposeParams>(n->params).perm});
            else
                fused_.leaves.push_back({n, n, {}});
            reg = emit(in);
        } else {
            const auto& p = std::get<ElementwiseParams>(n->params);
            std::vector<std::uint16_t> ops;
            for (std::size_t k = 0; k < n->inputs.size(); ++k) {
                const std::uint16_t r = result(n->inputs[k]);
                const bool condition = p.op == Op::kWhere && k == 0;
                ops.push_back(cast(r, condition ? DType::kBool : p.operand));
            }
            if (p.op == Op::kCast) {
                reg = ops[0];
            } else {
                Instr ins;
                ins.op = p.op;
                ins.dtype = n->dtype;
                ins.a = ops[0];
                if (ops.size() > 1) ins.b = ops[1];
                if (ops.size() > 2) ins.c = ops[2];
                reg = emit(ins);
            }
        }
        registers_[n.get()] = reg;
        return reg;
    }

    Fused fused_;
    std::unordered_map<const ArrayNode*, std::uint16_t> registers_;
};

/// The block of a broadcast leaf that feeds output block `coords` of rank `rank`.
std::int64_t leaf_block(const NodePtr& leaf, const std::vector<std::int64_t>& coords) {
    const std::size_t pad = coords.size() - leaf->shape.size();
    std::vector<std::int64_t> c(leaf->shape.size());
    for (std::size_t d = 0; d < c.size(); ++d) c[d] = leaf->shape[d] == 1 ? 0 : coords[pad + d];
    return block_flat(leaf->chunks, c);
}

/// The same for a fused leaf: through a transpose, the source block at permuted coordinates.
std::int64_t leaf_block(const Leaf& leaf, const std::vector<std::int64_t>& coords) {
    if (leaf.axes.empty()) return leaf_block(leaf.source, coords);
    const std::size_t pad = coords.size() - leaf.view->shape.size();
    std::vector<std::int64_t> c(leaf.view->shape.size());
    for (std::size_t d = 0; d < c.size(); ++d)
        c[static_cast<std::size_t>(leaf.axes[d])] = leaf.view->shape[d] == 1 ? 0 : coords[pad + d];
    return block_flat(leaf.source->chunks, c);
}

/// What the task for output block `coords` of a fused chain reads: the leaves' blocks as task
/// inputs, or, for leaves its consumers make (null in `leaf_blocks`), their specs in `spec`.
std::vector<TaskId> leaf_inputs(const Fused& f,
                                const std::vector<const std::vector<TaskId>*>& leaf_blocks,
                                const std::vector<std::int64_t>& coords, ElementwiseSpec& spec) {
    std::vector<TaskId> inputs;
    spec.generated.clear();
    for (std::size_t l = 0; l < f.leaves.size(); ++l) {
        const std::int64_t block = leaf_block(f.leaves[l], coords);
        if (leaf_blocks[l])
            inputs.push_back((*leaf_blocks[l])[static_cast<std::size_t>(block)]);
        else
            spec.generated.emplace_back(static_cast<std::uint16_t>(l),
                                        create_spec(*f.leaves[l].source, block));
    }
    return inputs;
}

/// The block tasks of each leaf of a fused chain; null for leaves their consumers make.
std::vector<const std::vector<TaskId>*> leaf_blocks(Materializer& m,
                                                    const std::vector<Leaf>& leaves) {
    std::vector<const std::vector<TaskId>*> out;
    for (const auto& leaf : leaves)
        out.push_back(made_by_consumers(leaf.source) ? nullptr : &m.blocks(leaf.source));
    return out;
}

}  // namespace

TaskId Materializer::add(const FunctionInfo& function, const Bytes& spec,
                         const std::vector<TaskId>& inputs) {
    std::vector<ArgRef> args;
    args.reserve(inputs.size() + 1);
    args.push_back(ArgRef::literal(g_.graph.add_literal(spec.data(), spec.size())));
    for (TaskId t : inputs) args.push_back(ArgRef::task(t));
    return g_.graph.add_task(function.id, args);
}

void Materializer::set_block_home(TaskId t, std::int64_t b, std::int64_t blocks) {
    g_.graph.set_home(t, (static_cast<double>(b) + 0.5) / static_cast<double>(blocks));
}

const std::vector<TaskId>& Materializer::blocks(const NodePtr& node) {
    if (auto it = done_.find(node.get()); it != done_.end()) return it->second;
    const auto first_new = static_cast<TaskId>(g_.graph.size());
    auto ids = build(node);
    // Tasks of inputs built on the way were claimed by those inputs already.
    built_.push_back({first_new, static_cast<TaskId>(g_.graph.size()), node.get()});
    return done_.emplace(node.get(), std::move(ids)).first->second;
}

std::vector<TaskId> Materializer::targets(const std::vector<Array>& arrays) {
    std::vector<TaskId> out;
    for (const auto& a : arrays) {
        const auto& ids = blocks(a.node());
        out.insert(out.end(), ids.begin(), ids.end());
    }
    const auto closes = close_inputs(out);
    out.insert(out.end(), closes.begin(), closes.end());
    return out;
}

const ArrayNode* Materializer::owner_of(TaskId task) const {
    for (const auto& r : built_)
        if (task >= r.begin && task < r.end) return r.node;
    return nullptr;
}

std::vector<TaskId> Materializer::build(const NodePtr& node) {
    const ArrayNode& n = *node;
    const std::int64_t nblocks = grid_size(n.chunks);
    std::vector<TaskId> out;
    out.reserve(static_cast<std::size_t>(nblocks));
    switch (n.kind) {
        case Kind::kCreate:
            for (std::int64_t b = 0; b < nblocks; ++b) {
                out.push_back(add(tasks::create, encode_spec(create_spec(n, b)), {}));
                set_block_home(out.back(), b, nblocks);
            }
            return out;
        case Kind::kFromBuffer: {
            const Buffer& data = *std::get<FromBufferParams>(n.params).data;
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                const Shape s = block_shape(n.chunks, c);
                Buffer block(n.dtype, s);
                kernels::copy_region(data, block_offset(n.chunks, c), block,
                                     std::vector<std::int64_t>(s.size(), 0), s);
                Bytes wire;
                block.encode_to(wire);
                out.push_back(add(tasks::literal, wire, {}));
            }
            return out;
        }
        case Kind::kElementwise:
            return build_elementwise(node);
        case Kind::kReduce:
            return build_reduce(node);
        case Kind::kMatmul:
            return build_matmul(node);
        case Kind::kFromHdf5:
            return build_from_hdf5(node);
        case Kind::kMapBlocks:
            return build_map_blocks(node);
        case Kind::kOverlap:
            return build_overlap(node);
        case Kind::kLinalg:
            return build_linalg(node);
        case Kind::kPersisted: {
            const auto& p = std::get<PersistedParams>(n.params);
            if (p.graph.get() != &g_)
                throw UsageError("a persisted array can only be used by the runtime that made it");
            return p.blocks;
        }
        case Kind::kTranspose: {
            const auto& perm = std::get<TransposeParams>(n.params).perm;
            const auto& in = blocks(n.inputs[0]);
            const Bytes spec = transpose_spec(perm);
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                std::vector<std::int64_t> ic(c.size());
                for (std::size_t d = 0; d < c.size(); ++d)
                    ic[static_cast<std::size_t>(perm[d])] = c[d];
                out.push_back(
                    add(tasks::transpose, spec,
                        {in[static_cast<std::size_t>(block_flat(n.inputs[0]->chunks, ic))]}));
            }
            return out;
        }
        case Kind::kSlice: {
            const auto& p = std::get<SliceParams>(n.params);
            const auto& in = blocks(n.inputs[0]);
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                SliceSpec s;
                std::vector<std::int64_t> ic;
                std::size_t kept = 0;
                for (const auto& sd : p.dims) {
                    const auto& [ib, local] =
                        sd.drop ? sd.blocks[0] : sd.blocks[static_cast<std::size_t>(c[kept])];
                    ic.push_back(ib);
                    s.start.push_back(local);
                    s.step.push_back(sd.step);
                    if (sd.drop) {
                        s.shape.push_back(1);
                    } else {
                        s.shape.push_back(n.chunks[kept][static_cast<std::size_t>(c[kept])]);
                        s.final_shape.push_back(s.shape.back());
                        ++kept;
                    }
                }
                out.push_back(
                    add(tasks::slice, encode_spec(s),
                        {in[static_cast<std::size_t>(block_flat(n.inputs[0]->chunks, ic))]}));
            }
            return out;
        }
        case Kind::kRelabel: {
            const auto& source = std::get<RelabelParams>(n.params).source;
            const auto& in = blocks(n.inputs[0]);
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                std::vector<std::int64_t> ic(n.inputs[0]->chunks.size(), 0);
                for (std::size_t d = 0; d < source.size(); ++d)
                    if (source[d] >= 0) ic[static_cast<std::size_t>(source[d])] = c[d];
                out.push_back(
                    add(tasks::relabel, encode_spec(block_shape(n.chunks, c)),
                        {in[static_cast<std::size_t>(block_flat(n.inputs[0]->chunks, ic))]}));
            }
            return out;
        }
        case Kind::kBroadcast: {
            const NodePtr& leaf = n.inputs[0];
            const auto& in = blocks(leaf);
            ElementwiseSpec s;
            Instr load;
            load.op = Op::kInput;
            load.dtype = n.dtype;
            s.program.code = {load};
            s.program.num_inputs = 1;
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                s.shape = block_shape(n.chunks, c);
                out.push_back(add(tasks::elementwise, encode_spec(s),
                                  {in[static_cast<std::size_t>(leaf_block(leaf, c))]}));
            }
            return out;
        }
        case Kind::kRechunk:
            return build_rechunk(node);
        case Kind::kConcatenate: {
            const int axis = std::get<ConcatenateParams>(n.params).axis;
            for (std::int64_t b = 0; b < nblocks; ++b) {
                auto c = block_coords(n.chunks, b);
                for (const auto& input : n.inputs) {
                    const auto count = static_cast<std::int64_t>(
                        input->chunks[static_cast<std::size_t>(axis)].size());
                    if (c[static_cast<std::size_t>(axis)] < count) {
                        out.push_back(
                            blocks(input)[static_cast<std::size_t>(block_flat(input->chunks, c))]);
                        break;
                    }
                    c[static_cast<std::size_t>(axis)] -= count;
                }
            }
            return out;
        }
        case Kind::kReshape: {
            const NodePtr& src = n.inputs[0];
            const auto& in = blocks(src);
            if (std::get<ReshapeParams>(n.params).blockwise) {
                for (std::int64_t b = 0; b < nblocks; ++b) {
                    ReshapeSpec s;
                    s.dtype = n.dtype;
                    s.shape = block_shape(n.chunks, block_coords(n.chunks, b));
                    s.src_start = {0};
                    s.dst_start = {0};
                    s.count = {kernels::shape_size(s.shape)};
                    out.push_back(
                        add(tasks::reshape, encode_spec(s), {in[static_cast<std::size_t>(b)]}));
                }
                return out;
            }
            const std::int64_t in_row =
                src->shape.empty()
                    ? 1
                    : kernels::shape_size(Shape(src->shape.begin() + 1, src->shape.end()));
            const std::int64_t out_row =
                n.shape.empty() ? 1
                                : kernels::shape_size(Shape(n.shape.begin() + 1, n.shape.end()));
            const auto in_offs =
                chunk_offsets(src->chunks.empty() ? std::vector<std::int64_t>{1} : src->chunks[0]);
            const auto out_offs =
                chunk_offsets(n.chunks.empty() ? std::vector<std::int64_t>{1} : n.chunks[0]);
            for (std::int64_t b = 0; b < nblocks; ++b) {
                const auto c = block_coords(n.chunks, b);
                const std::int64_t lo = out_offs[static_cast<std::size_t>(b)] * out_row;
                const std::int64_t hi = out_offs[static_cast<std::size_t>(b) + 1] * out_row;
                ReshapeSpec s;
                s.dtype = n.dtype;
                s.shape = block_shape(n.chunks, c);
                std::vector<TaskId> inputs;
                for (std::size_t ib = 0; ib + 1 < in_offs.size(); ++ib) {
                    const std::int64_t ilo = in_offs[ib] * in_row, ihi = in_offs[ib + 1] * in_row;
                    const std::int64_t a = std::max(lo, ilo), z = std::min(hi, ihi);
                    if (z <= a) continue;
                    s.src_start.push_back(a - ilo);
                    s.dst_start.push_back(a - lo);
                    s.count.push_back(z - a);
                    inputs.push_back(in[ib]);
                }
                out.push_back(add(tasks::reshape, encode_spec(s), inputs));
            }
            return out;
        }
    }
    throw Error("internal: unknown array node kind");
}

std::vector<TaskId> Materializer::build_elementwise(const NodePtr& node) {
    const ArrayNode& n = *node;
    Fused f = Fuser{}.run(node);
    const auto leaves = leaf_blocks(*this, f.leaves);
    ElementwiseSpec s{f.program, {}, f.axes(), {}};
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        const auto c = block_coords(n.chunks, b);
        s.shape = block_shape(n.chunks, c);
        const auto inputs = leaf_inputs(f, leaves, c, s);
        out.push_back(add(tasks::elementwise, encode_spec(s), inputs));
    }
    return out;
}

std::vector<TaskId> Materializer::build_reduce(const NodePtr& node) {
    const ArrayNode& n = *node;
    const auto& p = std::get<ReduceParams>(n.params);
    const NodePtr& src = n.inputs[0];
    const std::size_t nd = src->shape.size();

    // One state per input block, reading the block or, fused, the leaves of its elementwise chain.
    // An HDF5 array that nothing else needs as blocks is reduced while it is read: each task
    // reads its block in slabs and reduces them, so no block-sized buffer is ever filled.
    // An array its consumers make (random numbers, say) is made block by block by the tasks
    // that reduce it: a program of one input.
    std::optional<Fused> fused;
    std::vector<const std::vector<TaskId>*> leaves;
    if (src->kind == Kind::kElementwise || made_by_consumers(src)) {
        fused = Fuser{}.run(src);
        leaves = leaf_blocks(*this, fused->leaves);
    }
    InputFile* reading =
        src->kind == Kind::kFromHdf5 && !done_.count(src.get()) ? &input_file(src) : nullptr;
    const std::vector<TaskId>* src_blocks = fused || reading ? nullptr : &blocks(src);
    const std::int64_t in_blocks = grid_size(src->chunks);
    // Group the states by output block; inside a group, blocks stay in row-major order.
    std::vector<std::int64_t> out_coords_of;  // per input block: flat index of its output group
    Chunks group_chunks;
    for (std::size_t d = 0; d < nd; ++d)
        group_chunks.push_back((p.spec.axes >> d & 1) ? std::vector<std::int64_t>{1}
                                                      : src->chunks[d]);
    std::vector<std::vector<TaskId>> groups(static_cast<std::size_t>(grid_size(group_chunks)));
    for (std::int64_t b = 0; b < in_blocks; ++b) {
        const auto c = block_coords(src->chunks, b);
        ReduceBlockSpec s{p.spec, block_offset(src->chunks, c), src->shape, std::nullopt};
        std::vector<TaskId> inputs;
        TaskId state = 0;
        if (reading) {
            const Hdf5BlockSpec where{reading->token, std::get<FromHdf5Params>(src->params).dataset,
                                      s.offset, block_shape(src->chunks, c), src->dtype};
            state = add(tasks::h5_reduce, encode_spec(Hdf5ReduceSpec{s, where}), {reading->opened});
            reading->readers.push_back(state);
        } else {
            if (fused) {
                s.elementwise =
                    ElementwiseSpec{fused->program, block_shape(src->chunks, c), fused->axes(), {}};
                inputs = leaf_inputs(*fused, leaves, c, *s.elementwise);
            } else {
                inputs.push_back((*src_blocks)[static_cast<std::size_t>(b)]);
            }
            state = add(tasks::reduce, encode_spec(s), inputs);
        }
        auto gc = c;
        for (std::size_t d = 0; d < nd; ++d)
            if (p.spec.axes >> d & 1) gc[d] = 0;
        groups[static_cast<std::size_t>(block_flat(group_chunks, gc))].push_back(state);
    }
    const Bytes combine_spec = encode_spec(p.spec);
    std::vector<TaskId> out;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        auto level = std::move(groups[gi]);
        while (level.size() > 1) {  // the fixed tree: split_every consecutive states at a time
            std::vector<TaskId> next;
            for (std::size_t i = 0; i < level.size();
                 i += static_cast<std::size_t>(p.split_every)) {
                const std::vector<TaskId> part(
                    level.begin() + static_cast<std::ptrdiff_t>(i),
                    level.begin() +
                        static_cast<std::ptrdiff_t>(
                            std::min(level.size(), i + static_cast<std::size_t>(p.split_every))));
                next.push_back(part.size() == 1 ? part[0]
                                                : add(tasks::combine, combine_spec, part));
            }
            level = std::move(next);
        }
        // Output block: the group's coordinates without (or with size-1) reduced dimensions.
        const auto gc = block_coords(group_chunks, static_cast<std::int64_t>(gi));
        std::vector<std::int64_t> oc;
        for (std::size_t d = 0; d < nd; ++d)
            if (!(p.spec.axes >> d & 1) || p.keepdims) oc.push_back(gc[d]);
        FinalizeSpec f{p.spec, block_shape(n.chunks, oc)};
        out.push_back(add(tasks::finalize, encode_spec(f), {level[0]}));
    }
    return out;
}

std::vector<TaskId> Materializer::build_matmul(const NodePtr& node) {
    const ArrayNode& n = *node;
    const auto terms = static_cast<std::int64_t>(n.inputs[0]->chunks[1].size());
    using Form = MatmulSpec::Form;
    if (std::get<MatmulParams>(n.params).gram) {
        const auto& a = blocks(n.inputs[0]);
        const auto row = [&](std::int64_t i) {  // the blocks a[i, :]
            return std::vector<TaskId>(a.begin() + i * terms, a.begin() + (i + 1) * terms);
        };
        // Block (i, j) of a @ a.T is the contraction of rows i and j of a's blocks; (j, i) is its
        // transpose, made from it rather than multiplied again.
        const auto rows = static_cast<std::int64_t>(n.chunks[0].size());
        std::vector<TaskId> out(static_cast<std::size_t>(rows * rows));
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = i; j < rows; ++j) {
                std::vector<TaskId> inputs = row(i);
                if (j != i)
                    inputs.insert(inputs.end(), a.begin() + j * terms, a.begin() + (j + 1) * terms);
                MatmulSpec s{n.dtype, block_shape(n.chunks, {i, j}), terms,
                             i == j ? Form::kGram : Form::kTransposed};
                out[static_cast<std::size_t>(i * rows + j)] =
                    add(tasks::matmul, encode_spec(s), inputs);
            }
        const Bytes swap = transpose_spec({1, 0});
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < i; ++j)
                out[static_cast<std::size_t>(i * rows + j)] =
                    add(tasks::transpose, swap, {out[static_cast<std::size_t>(j * rows + i)]});
        return out;
    }
    // A float operand that is a transpose is read as stored, the product transposing it (BLAS
    // does, at no cost): its transposed blocks are never made.
    struct Operand {
        const std::vector<TaskId>* blocks;
        std::int64_t cols;  // blocks along the stored array's second dimension
        bool transposed;
        TaskId at(std::int64_t i, std::int64_t j) const {
            return (*blocks)[static_cast<std::size_t>(transposed ? j * cols + i : i * cols + j)];
        }
    };
    const auto operand = [&](const NodePtr& in) {
        const bool transposed =
            in->kind == Kind::kTranspose && in->dtype == n.dtype &&
            std::get<TransposeParams>(in->params).perm == std::vector<int>{1, 0} &&
            (n.dtype == DType::kFloat64 || n.dtype == DType::kFloat32);
        const NodePtr& stored = transposed ? in->inputs[0] : in;
        return Operand{&blocks(stored), static_cast<std::int64_t>(stored->chunks[1].size()),
                       transposed};
    };
    const Operand x = operand(n.inputs[0]), y = operand(n.inputs[1]);
    std::vector<TaskId> out;
    for (std::int64_t blk = 0; blk < grid_size(n.chunks); ++blk) {
        const auto c = block_coords(n.chunks, blk);
        std::vector<TaskId> inputs;
        for (std::int64_t p = 0; p < terms; ++p) inputs.push_back(x.at(c[0], p));
        for (std::int64_t p = 0; p < terms; ++p) inputs.push_back(y.at(p, c[1]));
        const Shape shape = block_shape(n.chunks, c);
        // A block much smaller than the operands' blocks it sums (a tall-skinny or block-panel
        // product: a.T @ q) is summed from one partial product per term, each made where its
        // operands are, so the small partials move instead of the large blocks. The sum runs in
        // the terms' order: the same bits wherever the partials were made.
        std::int64_t operand_elements = 0;
        for (std::int64_t p = 0; p < terms; ++p)
            operand_elements = std::max(
                {operand_elements, kernels::shape_size(block_shape(n.inputs[0]->chunks, {c[0], p})),
                 kernels::shape_size(block_shape(n.inputs[1]->chunks, {p, c[1]}))});
        if (terms > 1 && 4 * kernels::shape_size(shape) <= operand_elements) {
            std::vector<TaskId> partials;
            for (std::int64_t p = 0; p < terms; ++p) {
                MatmulSpec s{n.dtype, shape, 1, Form::kProduct, x.transposed, y.transposed};
                partials.push_back(add(tasks::matmul, encode_spec(s),
                                       {inputs[static_cast<std::size_t>(p)],
                                        inputs[static_cast<std::size_t>(terms + p)]}));
            }
            out.push_back(add(tasks::add_blocks, {}, partials));
            continue;
        }
        MatmulSpec s{n.dtype, shape, terms, Form::kProduct, x.transposed, y.transposed};
        out.push_back(add(tasks::matmul, encode_spec(s), inputs));
    }
    return out;
}

}  // namespace tessera::detail

namespace tessera {

std::vector<Buffer> compute(const std::vector<Array>& arrays) {
    auto g = detail::building_graph();
    detail::Materializer m(*g);
    auto results = detail::compute(*g, m.targets(arrays));
    std::size_t blocks = 0;
    for (const auto& a : arrays) blocks += static_cast<std::size_t>(detail::grid_size(a.chunks()));
    results.resize(blocks);  // the finishers' results are nothing
    std::vector<Buffer> out;
    std::size_t k = 0;
    for (const auto& a : arrays) {
        Buffer whole(a.dtype(), a.shape());
        for (std::int64_t b = 0; b < detail::grid_size(a.chunks()); ++b, ++k) {
            const Buffer block = Buffer::decode(results[k].data(), results[k].size());
            const auto c = detail::block_coords(a.chunks(), b);
            const Shape s = detail::block_shape(a.chunks(), c);
            if (block.shape() != s || block.dtype() != a.dtype())
                throw Error("internal: block " + std::to_string(b) +
                            " came back with the wrong shape or dtype");
            kernels::copy_region(block, std::vector<std::int64_t>(s.size(), 0), whole,
                                 detail::block_offset(a.chunks(), c), s);
        }
        out.push_back(std::move(whole));
    }
    return out;
}

Buffer Array::compute() const { return tessera::compute({*this})[0]; }

Array Array::persist() const {
    auto g = detail::building_graph();
    detail::Materializer m(*g);
    const std::vector<TaskId> blocks = m.blocks(node_);
    // A hold per block keeps its result on its worker (and the graph alive) while the persisted
    // array exists.
    auto holds = std::make_shared<std::vector<std::unique_ptr<detail::Hold>>>();
    for (TaskId t : blocks) holds->push_back(std::make_unique<detail::Hold>(g, t));
    detail::submit(*g, m.targets({*this}));
    auto n = std::make_shared<detail::ArrayNode>();
    n->kind = detail::ArrayNode::Kind::kPersisted;
    n->dtype = dtype();
    n->shape = shape();
    n->chunks = chunks();
    n->params = detail::PersistedParams{g, blocks, holds, detail::expression_digest(node_),
                                        detail::input_identities(node_)};
    return Array(std::move(n));
}

}  // namespace tessera
