#pragma once
// Reductions on chunks as partial states that combine in a fixed order: a block is reduced to a
// state (sum; sum+count for mean; Chan's count/mean/M2 for var and std; value+index for argmin
// and argmax), states of blocks are combined in chunk-index order, and finalize() turns a state
// into the result. Inside a block the rows are split into groups of a fixed size, reduced in
// parallel and merged in order, so results are bitwise the same for any number of threads or
// ranks.
#include <cstdint>
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/kernels/error.hpp"

namespace tessera::kernels {

enum class Reduction : std::uint8_t {
    kSum,
    kProd,
    kMin,
    kMax,
    kMean,
    kVar,
    kStd,
    kArgmin,
    kArgmax,
    kAny,
    kAll
};

const char* reduction_name(Reduction r);

struct ReduceSpec {
    Reduction op = Reduction::kSum;
    bool skip_nan = false;   // the nan* variants
    std::uint64_t axes = 0;  // bit d set: dimension d is reduced
    std::int64_t ddof = 0;   // var, std
    DType input = DType::kFloat64;
};

/// Components of the state per output element.
int state_components(Reduction r);
/// Dtype of the state: int64 for exact integer sums, products, extremes and any/all; float64
/// otherwise.
DType state_dtype(const ReduceSpec& spec);
/// Dtype of the result, as NumPy gives it.
DType result_dtype(const ReduceSpec& spec);

/// State of one block: shape [components, block shape with reduced dims set to 1].
/// `offset` and `global_shape` place the block in the array (argmin/argmax report global
/// indices: along the axis for one reduced axis, flat otherwise).
Buffer reduce_block(const ReduceSpec& spec, const Buffer& block,
                    const std::vector<std::int64_t>& offset, const Shape& global_shape);
/// reduce_block of the block that `program` computes from `inputs` (shape `shape`), without
/// making that block: groups of rows are evaluated tile by tile and reduced as they come.
struct Program;
struct Operand;
Buffer reduce_block_fused(const ReduceSpec& spec, const Program& program,
                          const std::vector<Operand>& inputs, const Shape& shape,
                          const std::vector<std::int64_t>& offset, const Shape& global_shape);
/// Combines states of the same shape, in the given order.
Buffer combine_states(const ReduceSpec& spec, const std::vector<const Buffer*>& states);
/// The result from a state: shape = state shape without the component dimension.
/// Throws ValueError for min/max/argmin/argmax of nothing.
Buffer finalize(const ReduceSpec& spec, const Buffer& state);

}  // namespace tessera::kernels
