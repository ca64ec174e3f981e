// The chunk tasks of arrays: registered functions that run on the workers. Each reads its spec
// (the first argument) and its input blocks, calls a kernel and returns one block (or one
// reduction state).
#include "array_tasks.hpp"

#include <cstring>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/kernels/linalg.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera::detail {

namespace {

using kernels::Buffer;

/// The input blocks (views where stored) and the operands the program reads them as: padded
/// on the left to the output's rank, through a fused transpose's axes where there is one.
/// Random inputs read as made are made range by range by the program (`generators`).
struct Operands {
    std::vector<Buffer> blocks;
    std::vector<kernels::BlockGenerator> generators;
    std::vector<kernels::Operand> operands;
};
Buffer make_block(const CreateSpec& s) {
    using K = CreateParams::Kind;
    switch (static_cast<K>(s.kind)) {
        case K::kFill:
            return kernels::fill_block(s.dtype, s.shape, s.a);
        case K::kArange:
            return kernels::arange_block(s.dtype, s.offset[0], s.shape[0], s.a, s.b);
        case K::kLinspace:
            return kernels::linspace_block(s.dtype, s.offset[0], s.shape[0], s.a, s.b, s.n,
                                           s.endpoint != 0);
        case K::kEye:
            return kernels::eye_block(s.dtype, s.shape, s.offset, s.n);
        case K::kRandom:
            return kernels::random_block(s.distribution, s.seed, s.dtype, s.global_shape, s.offset,
                                         s.shape, s.a, s.b);
    }
    throw Error("internal: unknown creation kind " + std::to_string(s.kind));
}

Operands operands_of(const ElementwiseSpec& spec, std::span<const ArgView> args) {
    const std::size_t n = spec.program.num_inputs;
    std::vector<const CreateSpec*> made(n, nullptr);
    for (const auto& [input, create] : spec.generated) made.at(input) = &create;
    Operands o;
    o.blocks.resize(n);  // sized up front: the operands point into both
    o.generators.resize(n);
    for (std::size_t i = 0, arg = 1; i < n; ++i) {
        const auto axes = i < spec.axes.size() ? spec.axes[i] : std::vector<std::int64_t>{};
        const CreateSpec* create = made[i];
        // Random numbers read one for one with the output's elements, as made or as the
        // transpose of a 2-d block, are drawn range by range inside the program; other made
        // inputs (broadcast random numbers, constants, ranges) are made whole.
        const bool random =
            create && static_cast<CreateParams::Kind>(create->kind) == CreateParams::Kind::kRandom;
        const bool as_made = axes.empty() && random && create->shape == spec.shape;
        const bool transposed = axes == std::vector<std::int64_t>{1, 0} && random &&
                                spec.shape.size() == 2 &&
                                create->shape == kernels::Shape{spec.shape[1], spec.shape[0]};
        if (as_made || transposed) {
            const auto draw = as_made ? kernels::random_range : kernels::random_range_transposed;
            o.generators[i] = [create, draw](std::int64_t start, std::int64_t count,
                                             std::byte* out) {
                draw(create->distribution, create->seed, create->dtype, create->global_shape,
                     create->offset, create->shape, create->a, create->b, start, count, out);
            };
            o.operands.push_back({nullptr, {}, &o.generators[i], create->dtype});
            continue;
        }
        if (create) {
            o.blocks[i] = make_block(*create);
        } else {
            if (arg >= args.size()) throw Error("internal: elementwise task has too few inputs");
            o.blocks[i] = read_block(args[arg++]);
        }
        o.operands.push_back({&o.blocks[i], std::vector<int>(axes.begin(), axes.end())});
    }
    return o;
}

Buffer run_elementwise(const ElementwiseSpec& spec, std::span<const ArgView> args) {
    const Operands o = operands_of(spec, args);
    return kernels::evaluate(spec.program, o.operands, spec.shape);
}

}  // namespace

const FunctionInfo& tasks::create =
    register_raw_function("array.create", [](std::span<const ArgView> args, Bytes& out) {
        emit_block(make_block(read_spec<CreateSpec>(args[0])), out);
    });

const FunctionInfo& tasks::literal =
    register_raw_function("array.literal", [](std::span<const ArgView> args, Bytes& out) {
        out.assign(args[0].data, args[0].data + args[0].size);
    });

const FunctionInfo& tasks::elementwise =
    register_raw_function("array.elementwise", [](std::span<const ArgView> args, Bytes& out) {
        emit_block(run_elementwise(read_spec<ElementwiseSpec>(args[0]), args), out);
    });

const FunctionInfo& tasks::reduce =
    register_raw_function("array.reduce", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<ReduceBlockSpec>(args[0]);
        if (!s.elementwise) {
            emit_block(kernels::reduce_block(s.spec, read_block(args[1]), s.offset, s.global_shape),
                       out);
            return;
        }
        // The elementwise chain is evaluated group by group inside the reduction.
        const Operands o = operands_of(*s.elementwise, args);
        emit_block(kernels::reduce_block_fused(s.spec, s.elementwise->program, o.operands,
                                               s.elementwise->shape, s.offset, s.global_shape),
                   out);
    });

const FunctionInfo& tasks::combine =
    register_raw_function("array.combine", [](std::span<const ArgView> args, Bytes& out) {
        const auto spec = read_spec<kernels::ReduceSpec>(args[0]);
        std::vector<Buffer> states;
        for (std::size_t i = 1; i < args.size(); ++i) states.push_back(read_block(args[i]));
        std::vector<const Buffer*> ptrs;
        for (const auto& s : states) ptrs.push_back(&s);
        emit_block(kernels::combine_states(spec, ptrs), out);
    });

const FunctionInfo& tasks::finalize =
    register_raw_function("array.finalize", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<FinalizeSpec>(args[0]);
        Buffer result = kernels::finalize(s.spec, read_block(args[1]));
        result.reshape(s.shape);
        emit_block(std::move(result), out);
    });

const FunctionInfo& tasks::transpose =
    register_raw_function("array.transpose", [](std::span<const ArgView> args, Bytes& out) {
        const auto perm64 = read_spec<std::vector<std::int64_t>>(args[0]);
        const std::vector<int> perm(perm64.begin(), perm64.end());
        emit_block(kernels::transpose_block(read_block(args[1]), perm), out);
    });

const FunctionInfo& tasks::slice =
    register_raw_function("array.slice", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<SliceSpec>(args[0]);
        Buffer b = kernels::slice_block(read_block(args[1]), s.start, s.step, s.shape);
        b.reshape(s.final_shape);
        emit_block(std::move(b), out);
    });

const FunctionInfo& tasks::relabel =
    register_raw_function("array.relabel", [](std::span<const ArgView> args, Bytes& out) {
        Buffer b = read_block(args[1]);
        b.reshape(read_spec<std::vector<std::int64_t>>(args[0]));
        emit_block(std::move(b), out);
    });

const FunctionInfo& tasks::reshape =
    register_raw_function("array.reshape", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<ReshapeSpec>(args[0]);
        Buffer result(s.dtype, s.shape);
        const std::size_t e = kernels::dtype_size(s.dtype);
        for (std::size_t i = 0; i < s.count.size(); ++i) {
            const Buffer in = read_block(args[i + 1]);
            std::memcpy(result.bytes() + static_cast<std::size_t>(s.dst_start[i]) * e,
                        in.bytes() + static_cast<std::size_t>(s.src_start[i]) * e,
                        static_cast<std::size_t>(s.count[i]) * e);
        }
        emit_block(std::move(result), out);
    });

const FunctionInfo& tasks::matmul =
    register_raw_function("array.matmul", [](std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<MatmulSpec>(args[0]);
        Buffer c = kernels::fill_block(s.dtype, s.shape, 0.0);
        // The contraction is summed in a fixed order, so results do not depend on placement.
        using Form = MatmulSpec::Form;
        for (std::int64_t p = 0; p < s.terms; ++p) {
            if (s.a_transposed || s.b_transposed)
                kernels::gemm(1.0, read_block(args[1 + p]), s.a_transposed != 0,
                              read_block(args[1 + s.terms + p]), s.b_transposed != 0, 1.0, c);
            else if (s.form == Form::kGram)
                kernels::gram_accumulate(read_block(args[1 + p]), c);
            else
                kernels::matmul_accumulate(read_block(args[1 + p]),
                                           read_block(args[1 + s.terms + p]), c,
                                           s.form == Form::kTransposed);
        }
        if (s.form == Form::kGram) kernels::mirror_upper_triangle(c);
        emit_block(std::move(c), out);
    });

const FunctionInfo& tasks::add_blocks =
    register_raw_function("array.add_blocks", [](std::span<const ArgView> args, Bytes& out) {
        const Buffer first = read_block(args[1]);
        Buffer sum(first);  // a copy: the sum is written into it
        for (std::size_t i = 2; i < args.size(); ++i) kernels::add_into(sum, read_block(args[i]));
        emit_block(std::move(sum), out);
    });

}  // namespace tessera::detail
