#pragma once
// The lazy array graph: one node per operation (a whole-array layer, not a task per chunk).
// Nodes are immutable and shared; Materializer (materialize.hpp) turns them into chunk tasks at
// compute time.
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "tessera/array.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera::detail {

using NodePtr = std::shared_ptr<const ArrayNode>;

struct CreateParams {
    enum class Kind { kFill, kArange, kLinspace, kEye, kRandom } kind = Kind::kFill;
    double a = 0, b = 0;  // fill: value; arange: start, step; linspace: start, stop; random: params
    std::int64_t n = 0;   // linspace: num; eye: k
    bool endpoint = true;
    kernels::Distribution distribution = kernels::Distribution::kUniform;
    std::uint64_t seed = 0;
};
struct FromBufferParams {
    std::shared_ptr<const Buffer> data;
};
struct MapBlocksParams {
    BlockFunction function;
    /// Per input, per output dimension: the input dimension it follows, or -1 (blockwise).
    std::vector<std::vector<int>> follow;
};
struct OverlapParams {
    BlockFunction function;
    kernels::HaloSpec halo;  // depth, boundary, constant; edges filled per block
};
/// An HDF5 file an array reads, as it was when read (fingerprint.hpp).
struct InputIdentity {
    std::string path;
    std::uintmax_t size = 0;
    std::int64_t modified_ns = 0;
    bool operator==(const InputIdentity&) const = default;
};
/// Blocks computed by persist() and kept alive by holds on their tasks.
struct PersistedParams {
    std::shared_ptr<GraphState> graph;
    std::vector<TaskId> blocks;
    std::shared_ptr<void> holds;
    // What the persisted values were computed from (fingerprint.hpp).
    std::string digest;
    std::vector<InputIdentity> inputs;
};
/// One result of a factorisation of the inputs (tessera::linalg, linalg.cpp). The results of
/// one factorisation (q and r, u, s and vt) share its `family`, so their tasks are made once.
struct LinalgParams {
    enum class Op : std::uint8_t {
        kQr,               // tall-skinny QR (one block of columns): 0 q, 1 r
        kSvd,              // SVD of a single block: 0 u, 1 s, 2 vt
        kCholesky,         // blocked lower Cholesky factor of square tiles
        kTriangularSolve,  // inputs l (tiles), b (rows cut like l): l x = b, or l.T x = b
        kLuSolve,          // inputs a (one block), b (one block of rows): a x = b
        kInverse,          // one block
        kLeastSquares,     // inputs r, q.T b (single blocks): 0 x, 1 rank, 2 s
    } op = Op::kQr;
    int part = 0;
    bool transposed = false;  // kTriangularSolve: l.T x = b
    bool compute_uv = true;   // kSvd
    double rcond = 0;         // kLeastSquares
    std::shared_ptr<const int> family;
};
struct FromHdf5Params {
    std::string path;
    std::string dataset;
};
struct ElementwiseParams {
    kernels::Op op;
    DType operand;  // inputs are cast to this before the operation
};
struct ReduceParams {
    kernels::ReduceSpec spec;
    bool keepdims = false;
    int split_every = 8;
};
struct TransposeParams {
    std::vector<int> perm;
};
/// Per input dimension: which elements it keeps and how they fall into output chunks.
struct SliceDim {
    std::int64_t start = 0, step = 1, count = 0;
    bool drop = false;  // an integer index
    std::vector<std::pair<std::int64_t, std::int64_t>>
        blocks;  // per output chunk: (input block, local start)
};
struct SliceParams {
    std::vector<SliceDim> dims;  // one per input dimension
};
struct ConcatenateParams {
    int axis = 0;
};
/// expand_dims / squeeze: output dim -> input dim, or -1 for a new dimension of extent 1.
struct RelabelParams {
    std::vector<int> source;
};
struct BroadcastParams {};
struct ReshapeParams {
    /// Block b of the output holds exactly block b of the input (Array::reshape_blockwise).
    bool blockwise = false;
};
struct RechunkParams {};
struct MatmulParams {
    /// inputs[0] @ inputs[0].T, the only input: blocks on and above the diagonal are multiplied
    /// (half the work), those below are their transposes.
    bool gram = false;
};

struct ArrayNode {
    enum class Kind {
        kCreate,
        kFromBuffer,
        kElementwise,
        kReduce,
        kTranspose,
        kSlice,
        kConcatenate,
        kRelabel,
        kBroadcast,
        kReshape,
        kRechunk,
        kMatmul,
        kFromHdf5,
        kMapBlocks,
        kOverlap,
        kPersisted,
        kLinalg,
    } kind;
    DType dtype;
    Shape shape;
    Chunks chunks;
    std::vector<NodePtr> inputs;
    std::variant<CreateParams, FromBufferParams, ElementwiseParams, ReduceParams, TransposeParams,
                 SliceParams, ConcatenateParams, RelabelParams, BroadcastParams, ReshapeParams,
                 RechunkParams, MatmulParams, FromHdf5Params, MapBlocksParams, OverlapParams,
                 PersistedParams, LinalgParams>
        params;
};

/// A new array of one node.
Array make_array(ArrayNode::Kind kind, DType dtype, Shape shape, Chunks chunks,
                 std::vector<NodePtr> inputs, decltype(ArrayNode::params) params);

using kernels::shape_text;
/// Aligns arrays for a broadcasting operation: returns the output shape and chunks, and
/// rechunks operands whose chunks disagree along a shared dimension.
std::pair<Shape, Chunks> broadcast(std::vector<Array>& arrays);

/// Offsets of the chunks along one dimension (size: blocks + 1).
std::vector<std::int64_t> chunk_offsets(const std::vector<std::int64_t>& sizes);
/// Shape of the block at `coords`, and the global position of its first element.
Shape block_shape(const Chunks& chunks, const std::vector<std::int64_t>& coords);
std::vector<std::int64_t> block_offset(const Chunks& chunks,
                                       const std::vector<std::int64_t>& coords);
/// Number of blocks of a chunk grid.
std::int64_t grid_size(const Chunks& chunks);
/// Row-major block index <-> multi-index.
std::vector<std::int64_t> block_coords(const Chunks& chunks, std::int64_t flat);
std::int64_t block_flat(const Chunks& chunks, const std::vector<std::int64_t>& coords);

}  // namespace tessera::detail
