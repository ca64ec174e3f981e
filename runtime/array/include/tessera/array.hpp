#pragma once
// tessera's dask.array: a lazy n-d array made of chunks. Operations build a graph of array
// nodes; compute() turns it into chunk tasks (fusing elementwise chains into one task per
// output chunk, and into the reductions that consume them) and runs them on the workers.
//
//   auto x = tessera::random::random({20000, 20000}, tessera::ChunkSpec(2000), /*seed=*/1);
//   auto y = (x + x.T()) - x.mean(0);
//   double s = y.std().item<double>();
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tessera/kernels/buffer.hpp"
#include "tessera/kernels/dispatch.hpp"
#include "tessera/kernels/elementwise.hpp"
#include "tessera/kernels/overlap.hpp"
#include "tessera/kernels/reduction.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

struct FunctionInfo;

using kernels::Buffer;
using kernels::DType;
using kernels::Shape;
/// Block sizes per dimension, like Dask's `chunks` tuple of tuples.
using Chunks = std::vector<std::vector<std::int64_t>>;

/// How an array is cut into chunks, the ways Dask accepts:
///   ChunkSpec(1000)               the same size along every dimension
///   ChunkSpec({1000, -1})         per dimension (-1: the whole dimension)
///   ChunkSpec(Chunks{{3, 3, 1}})  explicit block sizes
///   ChunkSpec::automatic()        blocks of about 128 MiB (or ChunkSpec::automatic(bytes))
class ChunkSpec {
public:
    ChunkSpec(std::int64_t size)
        : spec_(std::vector<std::int64_t>{size}), uniform_(true) {}  // NOLINT
    ChunkSpec(std::vector<std::int64_t> per_dimension)
        : spec_(std::move(per_dimension)) {}  // NOLINT
    ChunkSpec(std::initializer_list<std::int64_t> per_dimension)
        : spec_(std::vector<std::int64_t>(per_dimension)) {}
    ChunkSpec(Chunks explicit_blocks) : spec_(std::move(explicit_blocks)) {}  // NOLINT
    static ChunkSpec automatic(std::int64_t target_bytes = 128 << 20) {
        ChunkSpec s(std::int64_t{0});
        s.auto_bytes_ = target_bytes;
        return s;
    }
    /// Block sizes for an array of this shape and dtype; throws UsageError when they cannot fit.
    Chunks normalize(const Shape& shape, DType dtype) const;

private:
    std::variant<std::vector<std::int64_t>, Chunks> spec_;
    bool uniform_ = false;
    std::int64_t auto_bytes_ = 0;
};

/// A Python-like scalar operand: its kind decides type promotion (NEP 50).
struct Scalar {
    Scalar(double v)
        : f(v), i(static_cast<std::int64_t>(v)), kind(kernels::ScalarKind::kFloat) {}  // NOLINT
    Scalar(int v) : f(v), i(v), kind(kernels::ScalarKind::kInt) {}                     // NOLINT
    Scalar(std::int64_t v)
        : f(static_cast<double>(v)), i(v), kind(kernels::ScalarKind::kInt) {}  // NOLINT
    Scalar(bool v) : f(v), i(v), kind(kernels::ScalarKind::kBool) {}           // NOLINT
    double f;
    std::int64_t i;
    kernels::ScalarKind kind;
};

/// Axes to reduce over: none given means all.
using Axes = std::vector<int>;

/// One entry of a basic index: an integer, a slice, a new axis or an ellipsis.
struct Slice {
    std::optional<std::int64_t> start, stop, step;
};
struct NewAxis {};
struct Ellipsis {};
using Index = std::variant<std::int64_t, Slice, NewAxis, Ellipsis>;

namespace detail {
struct ArrayNode;
}

class Array {
public:
    explicit Array(std::shared_ptr<const detail::ArrayNode> node) : node_(std::move(node)) {}

    DType dtype() const;
    const Shape& shape() const;
    const Chunks& chunks() const;
    int ndim() const { return static_cast<int>(shape().size()); }
    std::int64_t size() const;
    std::int64_t nbytes() const;
    /// Blocks along each dimension.
    std::vector<std::int64_t> numblocks() const;

    // Structure
    Array T() const { return transpose(); }
    Array transpose(std::vector<int> axes = {}) const;
    Array astype(DType dtype) const;
    Array rechunk(const ChunkSpec& spec) const;
    /// Basic indexing: x[{0, Slice{1, 10, 2}, Ellipsis{}, NewAxis{}}].
    Array operator[](const std::vector<Index>& index) const;
    Array squeeze(const Axes& axes = {}) const;
    Array expand_dims(int axis) const;
    Array broadcast_to(const Shape& target) const;
    Array reshape(const Shape& requested) const;

    // Reductions (axes empty: all); split_every is the fan-in of the combine tree.
    Array sum(const Axes& axes = {}, bool keepdims = false) const;
    Array prod(const Axes& axes = {}, bool keepdims = false) const;
    Array mean(const Axes& axes = {}, bool keepdims = false) const;
    Array var(const Axes& axes = {}, std::int64_t ddof = 0, bool keepdims = false) const;
    Array std(const Axes& axes = {}, std::int64_t ddof = 0, bool keepdims = false) const;
    Array min(const Axes& axes = {}, bool keepdims = false) const;
    Array max(const Axes& axes = {}, bool keepdims = false) const;
    Array argmin(std::optional<int> axis = std::nullopt) const;
    Array argmax(std::optional<int> axis = std::nullopt) const;
    Array any(const Axes& axes = {}, bool keepdims = false) const;
    Array all(const Axes& axes = {}, bool keepdims = false) const;
    Array reduce(kernels::Reduction op, const Axes& axes, bool keepdims, bool skip_nan = false,
                 std::int64_t ddof = 0, int split_every = 8) const;

    Array dot(const Array& other) const;

    /// Starts computing the blocks now and keeps them on the workers (Dask's persist): later
    /// computations that use the result read the kept blocks instead of recomputing them.
    Array persist() const;

    /// Runs the graph and returns the whole array on the driver (rank 0).
    Buffer compute() const;
    /// A 0-d (or one-element) array's value.
    template <class T>
    T item() const;

    const std::shared_ptr<const detail::ArrayNode>& node() const { return node_; }

private:
    std::shared_ptr<const detail::ArrayNode> node_;
};

// Creation
Array full(const Shape& shape, Scalar value, const ChunkSpec& chunks = ChunkSpec::automatic(),
           std::optional<DType> dtype = std::nullopt);
Array ones(const Shape& shape, const ChunkSpec& chunks = ChunkSpec::automatic(),
           DType dtype = DType::kFloat64);
Array zeros(const Shape& shape, const ChunkSpec& chunks = ChunkSpec::automatic(),
            DType dtype = DType::kFloat64);
/// Like NumPy's empty: the values are unspecified (tessera fills zeros).
Array empty(const Shape& shape, const ChunkSpec& chunks = ChunkSpec::automatic(),
            DType dtype = DType::kFloat64);
Array arange(double start, double stop, double step = 1,
             const ChunkSpec& chunks = ChunkSpec::automatic(),
             std::optional<DType> dtype = std::nullopt);
Array linspace(double start, double stop, std::int64_t num = 50,
               const ChunkSpec& chunks = ChunkSpec::automatic(), bool endpoint = true,
               DType dtype = DType::kFloat64);
Array eye(std::int64_t n, std::optional<std::int64_t> m = std::nullopt, std::int64_t k = 0,
          const ChunkSpec& chunks = ChunkSpec::automatic(), DType dtype = DType::kFloat64);
/// An array from a buffer on the driver, cut into chunks (the chunks travel with the graph).
Array from_buffer(const Buffer& data, const ChunkSpec& chunks = ChunkSpec::automatic());

namespace random {
/// Counter-based (Philox): the same seed gives the same array for any chunking and rank count.
Array random(const Shape& shape, const ChunkSpec& chunks = ChunkSpec::automatic(),
             std::uint64_t seed = 0);
Array uniform(double low, double high, const Shape& shape,
              const ChunkSpec& chunks = ChunkSpec::automatic(), std::uint64_t seed = 0);
Array normal(double mean, double stddev, const Shape& shape,
             const ChunkSpec& chunks = ChunkSpec::automatic(), std::uint64_t seed = 0);
Array integers(std::int64_t low, std::int64_t high, const Shape& shape,
               const ChunkSpec& chunks = ChunkSpec::automatic(), std::uint64_t seed = 0);
}  // namespace random

// Elementwise (NumPy semantics: broadcasting, type promotion)
Array operator+(const Array& a, const Array& b);
Array operator-(const Array& a, const Array& b);
Array operator*(const Array& a, const Array& b);
Array operator/(const Array& a, const Array& b);
Array operator%(const Array& a, const Array& b);
Array operator&(const Array& a, const Array& b);
Array operator|(const Array& a, const Array& b);
Array operator^(const Array& a, const Array& b);
Array operator==(const Array& a, const Array& b);
Array operator!=(const Array& a, const Array& b);
Array operator<(const Array& a, const Array& b);
Array operator<=(const Array& a, const Array& b);
Array operator>(const Array& a, const Array& b);
Array operator>=(const Array& a, const Array& b);
Array operator-(const Array& a);
Array operator~(const Array& a);
Array floor_divide(const Array& a, const Array& b);
Array power(const Array& a, const Array& b);
Array maximum(const Array& a, const Array& b);
Array minimum(const Array& a, const Array& b);
Array arctan2(const Array& y, const Array& x);
Array hypot(const Array& a, const Array& b);
Array where(const Array& condition, const Array& a, const Array& b);
Array clip(const Array& a, std::optional<Scalar> low, std::optional<Scalar> high);
Array abs(const Array& a);
Array sqrt(const Array& a);
Array exp(const Array& a);
Array log(const Array& a);
Array log1p(const Array& a);
Array sin(const Array& a);
Array cos(const Array& a);
Array tanh(const Array& a);
Array tan(const Array& a);
Array arcsin(const Array& a);
Array arccos(const Array& a);
Array arctan(const Array& a);
Array sinh(const Array& a);
Array cosh(const Array& a);
Array arcsinh(const Array& a);
Array arccosh(const Array& a);
Array arctanh(const Array& a);
Array exp2(const Array& a);
Array expm1(const Array& a);
Array log2(const Array& a);
Array log10(const Array& a);
Array cbrt(const Array& a);
Array sign(const Array& a);
Array floor(const Array& a);
Array ceil(const Array& a);
Array round(const Array& a);
Array isnan(const Array& a);
Array isinf(const Array& a);
Array isfinite(const Array& a);
/// NaN to `nan`, +inf and -inf to `posinf` and `neginf` (default: the dtype's largest and
/// lowest finite values), as NumPy; integer and bool arrays come back as they are.
Array nan_to_num(const Array& a, double nan = 0.0, std::optional<double> posinf = std::nullopt,
                 std::optional<double> neginf = std::nullopt);
/// A scalar as a 0-d array, to mix with arrays in any operation.
Array scalar(Scalar value);

// Scalars on either side.
#define TESSERA_SCALAR_OPERATORS(op)                                              \
    inline Array operator op(const Array& a, Scalar b) { return a op scalar(b); } \
    inline Array operator op(Scalar a, const Array& b) { return scalar(a) op b; }
TESSERA_SCALAR_OPERATORS(+)
TESSERA_SCALAR_OPERATORS(-)
TESSERA_SCALAR_OPERATORS(*)
TESSERA_SCALAR_OPERATORS(/)
TESSERA_SCALAR_OPERATORS(%)
TESSERA_SCALAR_OPERATORS(==)
TESSERA_SCALAR_OPERATORS(!=)
TESSERA_SCALAR_OPERATORS(<)
TESSERA_SCALAR_OPERATORS(<=)
TESSERA_SCALAR_OPERATORS(>)
TESSERA_SCALAR_OPERATORS(>=)
#undef TESSERA_SCALAR_OPERATORS

// Structure
Array concatenate(const std::vector<Array>& arrays, int axis = 0);
Array stack(const std::vector<Array>& arrays, int axis = 0);
Array matmul(const Array& a, const Array& b);
/// np.tensordot with explicit axes of a and b to contract.
Array tensordot(const Array& a, const Array& b, const std::vector<int>& a_axes,
                const std::vector<int>& b_axes);

/// An HDF5 dataset as an array. Files are opened by all workers together (MPI-IO) and blocks
/// read as independent hyperslabs. Default chunks are whole multiples of the dataset's HDF5
/// chunks, about 128 MiB each. Missing files and datasets, and element types tessera cannot
/// hold, are reported here, when the graph is built.
Array from_hdf5(const std::string& path, const std::string& dataset,
                std::optional<ChunkSpec> chunks = std::nullopt);

using Hdf5Attribute = std::variant<double, std::int64_t, std::string>;

struct Hdf5WriteOptions {
    /// Deflate level 1-9 for every dataset, 0 for none. Compressed datasets can only be written
    /// by one-process jobs for now (parallel HDF5 compresses only with collective writes); a
    /// multi-rank job gets a UsageError before anything runs.
    int gzip = 0;
    /// Attributes per dataset name.
    std::map<std::string, std::map<std::string, Hdf5Attribute>> attributes;
};

/// Computes the arrays and writes them as datasets of a new HDF5 file, in one pass that shares
/// their common work. Datasets are chunked like the arrays. The file is written under a
/// temporary name and renamed into place only when complete, so a failed job never leaves a
/// file that looks whole.
void to_hdf5(const std::string& path, const std::vector<std::pair<std::string, Array>>& datasets,
             const Hdf5WriteOptions& options = {});

/// Where a block sits, for block functions that ask.
struct BlockInfo {
    std::vector<std::int64_t> index;   // block index along each dimension
    std::vector<std::int64_t> offset;  // global position of the block's first element
    Shape array_shape;                 // shape of the output array
};

/// A user kernel on blocks, registered by name at namespace scope (every rank knows it):
///
///   const auto smooth = tessera::register_block_function("smooth",
///       [](const std::vector<tessera::Buffer>& blocks, const tessera::BlockInfo& where) { ... });
using BlockKernel = std::function<Buffer(const std::vector<Buffer>& blocks, const BlockInfo& info)>;
class BlockFunction {
public:
    /// The block function registered under `name` (found when it is first used).
    explicit BlockFunction(std::string name) : name_(std::move(name)) {}
    const std::string& name() const { return name_; }
    /// Its task function; throws UsageError (with the closest names) when none is registered.
    const FunctionInfo& task() const;

private:
    friend BlockFunction register_block_function(const std::string& name,
                                                 const BlockKernel& kernel);
    std::string name_;
    const FunctionInfo* task_ = nullptr;  // set at registration
};
BlockFunction register_block_function(const std::string& name, const BlockKernel& kernel);

/// Applies `fn` to corresponding blocks of the inputs (aligned and broadcast like an
/// elementwise operation). The output has the inputs' chunks unless `chunks` gives other block
/// sizes (the same number of blocks per dimension); `dtype` defaults to the first input's.
Array map_blocks(const BlockFunction& fn, const std::vector<Array>& inputs,
                 std::optional<DType> dtype = std::nullopt,
                 std::optional<Chunks> chunks = std::nullopt);

/// Dask's blockwise without contraction: `index` names the output's dimensions, each input
/// names its own with letters of `index` ("ij" and "ji" pair block (i, j) with block (j, i)).
Array blockwise(const BlockFunction& fn, const std::string& index,
                const std::vector<std::pair<Array, std::string>>& inputs,
                std::optional<DType> dtype = std::nullopt);

/// Applies `fn` to each block extended by `depth` elements per dimension taken from the
/// neighbouring blocks (on other ranks too), then trims the halo off the result. At the array's
/// edges the halo follows `boundary`; `constant` is the value for Boundary::kConstant.
Array map_overlap(const BlockFunction& fn, const Array& x, const std::vector<std::int64_t>& depth,
                  kernels::Boundary boundary = kernels::Boundary::kReflect, double constant = 0,
                  std::optional<DType> dtype = std::nullopt);

/// Computes several arrays at once, sharing their common work.
std::vector<Buffer> compute(const std::vector<Array>& arrays);

/// One array operation of a plan: what it makes and what running it takes.
struct PlanLayer {
    std::string operation;  // "random", "add", "sum", "from_hdf5", ...
    Shape shape;
    DType dtype = DType::kFloat64;
    Shape chunk;  // the largest block
    std::int64_t blocks = 0;
    std::int64_t tasks = 0;  // 0: fused into the tasks of the layers that use it
    std::int64_t bytes = 0;  // of the whole array
};

/// What computing some arrays would run, worked out without running anything.
struct Plan {
    std::vector<PlanLayer> layers;  // inputs first
    std::int64_t tasks = 0;         // all tasks, including combine trees and file handling
    int workers = 1;
    /// Blocks alive at once when the tasks run in the scheduler's order, shared by the workers,
    /// plus the largest task's inputs and output: an estimate of each worker's peak memory.
    std::int64_t peak_bytes_per_worker = 0;
    std::string to_string() const;
};

/// The plan of compute(arrays) on `workers` workers (tessera run --explain).
Plan explain(const std::vector<Array>& arrays, int workers);
/// Writes the chunk tasks that computing `arrays` runs as a Graphviz DOT file.
void write_dot(const std::string& path, const std::vector<Array>& arrays);

template <class T>
T Array::item() const {
    const Buffer b = compute();
    if (b.size() != 1) throw ValueError("item() needs an array of one element");
    T out{};
    kernels::visit_dtype(b.dtype(),
                         [&](auto t) { out = static_cast<T>(b.data<decltype(t)>()[0]); });
    return out;
}

}  // namespace tessera
