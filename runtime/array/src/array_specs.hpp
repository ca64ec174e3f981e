#pragma once
// The literal first argument of every array chunk task: what the task must do to its input
// blocks. Written by the Materializer on rank 0, read by the task on a worker; each spec has
// write() and read() side by side so the two cannot drift apart.
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/kernels/create.hpp"
#include "tessera/kernels/elementwise.hpp"
#include "tessera/kernels/reduction.hpp"
#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera::detail {

inline void write_vec(ByteWriter& w, const std::vector<std::int64_t>& v) {
    w.pod<std::uint64_t>(v.size());
    w.write(v.data(), v.size() * sizeof(std::int64_t));
}
inline std::vector<std::int64_t> read_vec(ByteReader& r) {
    std::vector<std::int64_t> v(r.pod<std::uint64_t>());
    r.read(v.data(), v.size() * sizeof(std::int64_t));
    return v;
}
inline void write_program(ByteWriter& w, const kernels::Program& p) {
    w.pod(p.num_inputs);
    w.pod<std::uint64_t>(p.code.size());
    w.write(p.code.data(), p.code.size() * sizeof(kernels::Instr));
}
inline kernels::Program read_program(ByteReader& r) {
    kernels::Program p;
    p.num_inputs = r.pod<std::uint16_t>();
    p.code.resize(r.pod<std::uint64_t>());
    r.read(p.code.data(), p.code.size() * sizeof(kernels::Instr));
    p.validate();
    return p;
}

struct CreateSpec {
    std::uint8_t kind;  // CreateParams::Kind
    kernels::DType dtype;
    double a, b;
    std::int64_t n;
    std::uint8_t endpoint;
    kernels::Distribution distribution;
    std::uint64_t seed;
    std::vector<std::int64_t> global_shape, offset, shape;
    void write(ByteWriter& w) const {
        w.pod(kind);
        w.pod(dtype);
        w.pod(a);
        w.pod(b);
        w.pod(n);
        w.pod(endpoint);
        w.pod(distribution);
        w.pod(seed);
        write_vec(w, global_shape);
        write_vec(w, offset);
        write_vec(w, shape);
    }
    static CreateSpec read(ByteReader& r) {
        CreateSpec s;
        s.kind = r.pod<std::uint8_t>();
        s.dtype = r.pod<kernels::DType>();
        s.a = r.pod<double>();
        s.b = r.pod<double>();
        s.n = r.pod<std::int64_t>();
        s.endpoint = r.pod<std::uint8_t>();
        s.distribution = r.pod<kernels::Distribution>();
        s.seed = r.pod<std::uint64_t>();
        s.global_shape = read_vec(r);
        s.offset = read_vec(r);
        s.shape = read_vec(r);
        return s;
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
    void write(ByteWriter& w) const {
        write_program(w, program);
        write_vec(w, shape);
        w.pod<std::uint64_t>(axes.size());
        for (const auto& a : axes) write_vec(w, a);
        w.pod<std::uint64_t>(generated.size());
        for (const auto& [input, spec] : generated) {
            w.pod(input);
            spec.write(w);
        }
    }
    static ElementwiseSpec read(ByteReader& r) {
        ElementwiseSpec s;
        s.program = read_program(r);
        s.shape = read_vec(r);
        s.axes.resize(r.pod<std::uint64_t>());
        for (auto& a : s.axes) a = read_vec(r);
        s.generated.resize(r.pod<std::uint64_t>());
        for (auto& [input, spec] : s.generated) {
            input = r.pod<std::uint16_t>();
            spec = CreateSpec::read(r);
        }
        return s;
    }
};

struct ReduceBlockSpec {
    kernels::ReduceSpec spec;
    std::vector<std::int64_t> offset, global_shape;
    std::uint8_t fused = 0;       // inputs are a program's leaves, not the block itself
    ElementwiseSpec elementwise;  // when fused
    void write(ByteWriter& w) const {
        w.pod(spec);
        write_vec(w, offset);
        write_vec(w, global_shape);
        w.pod(fused);
        if (fused) elementwise.write(w);
    }
    static ReduceBlockSpec read(ByteReader& r) {
        ReduceBlockSpec s;
        s.spec = r.pod<kernels::ReduceSpec>();
        s.offset = read_vec(r);
        s.global_shape = read_vec(r);
        s.fused = r.pod<std::uint8_t>();
        if (s.fused) s.elementwise = ElementwiseSpec::read(r);
        return s;
    }
};

struct FinalizeSpec {
    kernels::ReduceSpec spec;
    std::vector<std::int64_t> shape;  // of the result block
    void write(ByteWriter& w) const {
        w.pod(spec);
        write_vec(w, shape);
    }
    static FinalizeSpec read(ByteReader& r) {
        FinalizeSpec s;
        s.spec = r.pod<kernels::ReduceSpec>();
        s.shape = read_vec(r);
        return s;
    }
};

struct SliceSpec {
    std::vector<std::int64_t> start, step, shape, final_shape;
    void write(ByteWriter& w) const {
        write_vec(w, start);
        write_vec(w, step);
        write_vec(w, shape);
        write_vec(w, final_shape);
    }
    static SliceSpec read(ByteReader& r) {
        SliceSpec s;
        s.start = read_vec(r);
        s.step = read_vec(r);
        s.shape = read_vec(r);
        s.final_shape = read_vec(r);
        return s;
    }
};

/// An output block made of runs of C-ordered elements of input blocks (reshape).
struct FlatAssembleSpec {
    kernels::DType dtype;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> src_start, dst_start, count;  // one run per input
    void write(ByteWriter& w) const {
        w.pod(dtype);
        write_vec(w, shape);
        write_vec(w, src_start);
        write_vec(w, dst_start);
        write_vec(w, count);
    }
    static FlatAssembleSpec read(ByteReader& r) {
        FlatAssembleSpec s;
        s.dtype = r.pod<kernels::DType>();
        s.shape = read_vec(r);
        s.src_start = read_vec(r);
        s.dst_start = read_vec(r);
        s.count = read_vec(r);
        return s;
    }
};

struct MatmulSpec {
    /// kProduct: inputs a_0..a_{terms-1}, b_0..b_{terms-1}, the block is sum_p a_p @ b_p.
    /// kTransposed: the same inputs, sum_p a_p @ b_p.T (a block above a Gram's diagonal).
    /// kGram: inputs a_0..a_{terms-1}, sum_p a_p @ a_p.T (a block on a Gram's diagonal).
    enum class Form : std::uint8_t { kProduct, kTransposed, kGram };
    kernels::DType dtype;
    std::vector<std::int64_t> shape;
    std::int64_t terms;
    Form form = Form::kProduct;
    void write(ByteWriter& w) const {
        w.pod(dtype);
        write_vec(w, shape);
        w.pod(terms);
        w.pod(form);
    }
    static MatmulSpec read(ByteReader& r) {
        MatmulSpec s;
        s.dtype = r.pod<kernels::DType>();
        s.shape = read_vec(r);
        s.terms = r.pod<std::int64_t>();
        s.form = r.pod<Form>();
        return s;
    }
};

inline void write_string(ByteWriter& w, const std::string& s) { Codec<std::string>::encode(s, w); }
inline std::string read_string(ByteReader& r) { return Codec<std::string>::decode(r); }

/// Opening (collective) and closing an HDF5 file under a token.
struct Hdf5FileSpec {
    std::uint64_t token = 0;
    std::string path;
    std::uint8_t create = 0;
    struct Dataset {
        std::string name;
        std::vector<std::int64_t> shape, chunks;
        kernels::DType dtype;
        std::int32_t gzip = 0;
        std::vector<std::pair<std::string, std::string>> text_attributes;
        std::vector<std::pair<std::string, double>> float_attributes;
        std::vector<std::pair<std::string, std::int64_t>> int_attributes;
    };
    std::vector<Dataset> datasets;
    void write(ByteWriter& w) const {
        w.pod(token);
        write_string(w, path);
        w.pod(create);
        w.pod<std::uint64_t>(datasets.size());
        for (const auto& d : datasets) {
            write_string(w, d.name);
            write_vec(w, d.shape);
            write_vec(w, d.chunks);
            w.pod(d.dtype);
            w.pod(d.gzip);
            w.pod<std::uint64_t>(d.text_attributes.size());
            for (const auto& [k, v] : d.text_attributes) {
                write_string(w, k);
                write_string(w, v);
            }
            w.pod<std::uint64_t>(d.float_attributes.size());
            for (const auto& [k, v] : d.float_attributes) {
                write_string(w, k);
                w.pod(v);
            }
            w.pod<std::uint64_t>(d.int_attributes.size());
            for (const auto& [k, v] : d.int_attributes) {
                write_string(w, k);
                w.pod(v);
            }
        }
    }
    static Hdf5FileSpec read(ByteReader& r) {
        Hdf5FileSpec s;
        s.token = r.pod<std::uint64_t>();
        s.path = read_string(r);
        s.create = r.pod<std::uint8_t>();
        s.datasets.resize(r.pod<std::uint64_t>());
        for (auto& d : s.datasets) {
            d.name = read_string(r);
            d.shape = read_vec(r);
            d.chunks = read_vec(r);
            d.dtype = r.pod<kernels::DType>();
            d.gzip = r.pod<std::int32_t>();
            d.text_attributes.resize(r.pod<std::uint64_t>());
            for (auto& [k, v] : d.text_attributes) {
                k = read_string(r);
                v = read_string(r);
            }
            d.float_attributes.resize(r.pod<std::uint64_t>());
            for (auto& [k, v] : d.float_attributes) {
                k = read_string(r);
                v = r.pod<double>();
            }
            d.int_attributes.resize(r.pod<std::uint64_t>());
            for (auto& [k, v] : d.int_attributes) {
                k = read_string(r);
                v = r.pod<std::int64_t>();
            }
        }
        return s;
    }
};

/// One hyperslab of a dataset of an open file.
struct Hdf5BlockSpec {
    std::uint64_t token = 0;
    std::string dataset;
    std::vector<std::int64_t> offset, shape;
    kernels::DType dtype;
    void write(ByteWriter& w) const {
        w.pod(token);
        write_string(w, dataset);
        write_vec(w, offset);
        write_vec(w, shape);
        w.pod(dtype);
    }
    static Hdf5BlockSpec read(ByteReader& r) {
        Hdf5BlockSpec s;
        s.token = r.pod<std::uint64_t>();
        s.dataset = read_string(r);
        s.offset = read_vec(r);
        s.shape = read_vec(r);
        s.dtype = r.pod<kernels::DType>();
        return s;
    }
};

/// A block reduced while it is read from its file.
struct Hdf5ReduceSpec {
    ReduceBlockSpec reduce;
    Hdf5BlockSpec block;
    void write(ByteWriter& w) const {
        reduce.write(w);
        block.write(w);
    }
    static Hdf5ReduceSpec read(ByteReader& r) {
        Hdf5ReduceSpec s;
        s.reduce = ReduceBlockSpec::read(r);
        s.block = Hdf5BlockSpec::read(r);
        return s;
    }
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
    Bytes b;
    ByteWriter w(b);
    s.write(w);
    return b;
}

}  // namespace tessera::detail
