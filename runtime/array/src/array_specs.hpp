#pragma once
// The literal first argument of every array chunk task: what the task must do to its input
// blocks. Written by the Materializer on rank 0, read by the task on a worker. Each spec is a
// record (codec.hpp): its fields are listed once, in `fields`, and both directions go through
// Codec, so writer and reader cannot drift apart.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/io/hdf5.hpp"
#include "tessera/kernels/create.hpp"
#include "tessera/kernels/elementwise.hpp"
#include "tessera/kernels/reduction.hpp"
#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera {

/// A program travels as its input count and instructions, and is checked when it arrives.
template <>
struct Codec<kernels::Program> {
    static void encode(const kernels::Program& p, ByteWriter& w) {
        w.pod(p.num_inputs);
        w.pod<std::uint64_t>(p.code.size());
        w.write(p.code.data(), p.code.size() * sizeof(kernels::Instr));
    }
    static kernels::Program decode(ByteReader& r) {
        kernels::Program p;
        p.num_inputs = r.pod<std::uint16_t>();
        const auto n = r.pod<std::uint64_t>();
        if (n > r.remaining() / sizeof(kernels::Instr))
            throw CommError("truncated elementwise program");
        p.code.resize(n);
        r.read(p.code.data(), p.code.size() * sizeof(kernels::Instr));
        p.validate();
        return p;
    }
};

/// A reduction's description is plain data: copied as it is.
template <>
struct Codec<kernels::ReduceSpec> {
    static void encode(const kernels::ReduceSpec& s, ByteWriter& w) { w.pod(s); }
    static kernels::ReduceSpec decode(ByteReader& r) { return r.pod<kernels::ReduceSpec>(); }
};

}  // namespace tessera

namespace tessera::detail {

struct CreateSpec {
    std::uint8_t kind = 0;  // CreateParams::Kind
    kernels::DType dtype = kernels::DType::kFloat64;
    double a = 0, b = 0;
    std::int64_t n = 0;
    std::uint8_t endpoint = 0;
    kernels::Distribution distribution = kernels::Distribution::kUniform;
    std::uint64_t seed = 0;
    std::vector<std::int64_t> global_shape, offset, shape;
    static auto fields(auto& s) {
        return std::tie(s.kind, s.dtype, s.a, s.b, s.n, s.endpoint, s.distribution, s.seed,
                        s.global_shape, s.offset, s.shape);
    }
};

/// Elementwise program over one output block; inputs are padded on the left to its rank, and
/// read through their axes permutation (a fused transpose) when one is given. Inputs that are
/// cheap to make (constants, ranges, uniform random numbers) are made by the task itself from
/// their CreateSpec instead of being read: the task's arguments are the other inputs, in order.
struct ElementwiseSpec {
    kernels::Program program;
    std::vector<std::int64_t> shape;
    std::vector<std::vector<std::int64_t>> axes;  // per input; empty: as stored
    std::vector<std::pair<std::uint16_t, CreateSpec>>
        generated;  // (input, its block) made in the task
    static auto fields(auto& s) { return std::tie(s.program, s.shape, s.axes, s.generated); }
};

struct ReduceBlockSpec {
    kernels::ReduceSpec spec;
    std::vector<std::int64_t> offset, global_shape;
    /// When set, the inputs are the leaves of this fused chain, not the block itself.
    std::optional<ElementwiseSpec> elementwise;
    static auto fields(auto& s) {
        return std::tie(s.spec, s.offset, s.global_shape, s.elementwise);
    }
};

struct FinalizeSpec {
    kernels::ReduceSpec spec;
    std::vector<std::int64_t> shape;  // of the result block
    static auto fields(auto& s) { return std::tie(s.spec, s.shape); }
};

struct SliceSpec {
    std::vector<std::int64_t> start, step, shape, final_shape;
    static auto fields(auto& s) { return std::tie(s.start, s.step, s.shape, s.final_shape); }
};

/// An output block made of runs of C-ordered elements of input blocks (reshape).
struct ReshapeSpec {
    kernels::DType dtype = kernels::DType::kFloat64;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> src_start, dst_start, count;  // one run per input
    static auto fields(auto& s) {
        return std::tie(s.dtype, s.shape, s.src_start, s.dst_start, s.count);
    }
};

struct MatmulSpec {
    /// kProduct: inputs a_0..a_{terms-1}, b_0..b_{terms-1}, the block is sum_p a_p @ b_p.
    /// kTransposed: the same inputs, sum_p a_p @ b_p.T (a block above a Gram's diagonal).
    /// kGram: inputs a_0..a_{terms-1}, sum_p a_p @ a_p.T (a block on a Gram's diagonal).
    enum class Form : std::uint8_t { kProduct, kTransposed, kGram };
    kernels::DType dtype = kernels::DType::kFloat64;
    std::vector<std::int64_t> shape;
    std::int64_t terms = 0;
    Form form = Form::kProduct;
    /// kProduct of floats: a_p (b_p) are stored transposed, sum_p a_p.T @ b_p and so on.
    std::uint8_t a_transposed = 0, b_transposed = 0;
    static auto fields(auto& s) {
        return std::tie(s.dtype, s.shape, s.terms, s.form, s.a_transposed, s.b_transposed);
    }
};

/// Opening (collective) and closing an HDF5 file under a token.
struct Hdf5FileSpec {
    std::uint64_t token = 0;
    std::string path;
    io::OpenMode mode = io::OpenMode::kRead;
    /// The digest of the ledger's header (ledger.hpp), kept in the root of a created file.
    std::string fingerprint;
    /// A resumable output: kept, not removed, when the job is interrupted.
    std::uint8_t resumable = 0;
    struct Dataset {
        std::string name;
        std::vector<std::int64_t> shape, chunks;
        kernels::DType dtype = kernels::DType::kFloat64;
        std::int32_t gzip = 0;
        std::vector<std::pair<std::string, std::string>> text_attributes;
        std::vector<std::pair<std::string, double>> float_attributes;
        std::vector<std::pair<std::string, std::int64_t>> int_attributes;
        static auto fields(auto& d) {
            return std::tie(d.name, d.shape, d.chunks, d.dtype, d.gzip, d.text_attributes,
                            d.float_attributes, d.int_attributes);
        }
    };
    std::vector<Dataset> datasets;
    static auto fields(auto& s) {
        return std::tie(s.token, s.path, s.mode, s.fingerprint, s.resumable, s.datasets);
    }
};

/// One hyperslab of a dataset of an open file.
struct Hdf5BlockSpec {
    std::uint64_t token = 0;
    std::string dataset;
    std::vector<std::int64_t> offset, shape;
    kernels::DType dtype = kernels::DType::kFloat64;
    static auto fields(auto& s) { return std::tie(s.token, s.dataset, s.offset, s.shape, s.dtype); }
};

/// A block reduced while it is read from its file.
struct Hdf5ReduceSpec {
    ReduceBlockSpec reduce;
    Hdf5BlockSpec block;
    static auto fields(auto& s) { return std::tie(s.reduce, s.block); }
};

/// An input block of a chunk task: read where it lies when it is a stored result.
inline kernels::Buffer read_block(const ArgView& a) {
    return a.owner ? kernels::Buffer::view_of_encoded(*a.owner)
                   : kernels::Buffer::decode(a.data, a.size);
}
/// A chunk task's result block, handed over without a copy.
inline void emit_block(kernels::Buffer&& b, Bytes& out) { out = std::move(b).encoded_in_place(); }

template <class Spec>
Bytes encode_spec(const Spec& s) {
    return encode(s);
}

/// The spec of a chunk task: its first argument.
template <class Spec>
Spec read_spec(const ArgView& a) {
    return decode<Spec>(a.data, a.size);
}

}  // namespace tessera::detail
