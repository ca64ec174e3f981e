// Rechunking as one collective phase over the workers, not a task per piece: every worker
// cuts the blocks it holds into the pieces each output block needs, the pieces travel in
// alltoallv rounds of bounded size, and each worker assembles the output blocks assigned to
// it (block b to worker b mod W), all of them in the exchange's result. A "take" task per output
// block, restricted to that worker, copies its block out of that result. The exchange is the
// worker group's alltoallv (MPI between processes; in memory when the workers are threads).
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "array_tasks.hpp"
#include "materialize.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/worker_group.hpp"

namespace tessera::detail {

namespace {

struct ExchangeSpec {
    kernels::DType dtype = kernels::DType::kFloat64;
    Chunks in, out;
    std::int64_t workers = 1;
    std::int64_t round_bytes = std::int64_t{256} << 20;  // per destination and round
    static auto fields(auto& s) { return std::tie(s.dtype, s.in, s.out, s.workers, s.round_bytes); }
};

/// The take task of output block `block`.
struct TakeSpec {
    std::int64_t block = 0;
    std::int64_t workers = 1;
    static auto fields(auto& s) { return std::tie(s.block, s.workers); }
};

/// One piece: the region of an input block that lies in one output block.
struct Piece {
    std::int64_t block = 0;  // the output block
    std::vector<std::int64_t> src_start, dst_start;
    Shape extent;
};

/// Where the blocks of each dimension start, for the input and the output chunks.
struct Grid {
    explicit Grid(const ExchangeSpec& s) : in(s.in.size()), out(s.in.size()) {
        for (std::size_t d = 0; d < s.in.size(); ++d) {
            in[d] = chunk_offsets(s.in[d]);
            out[d] = chunk_offsets(s.out[d]);
        }
    }
    std::vector<std::vector<std::int64_t>> in, out;
};

/// Calls f(piece) for every piece of input block `ib`, output blocks in C order.
template <class F>
void for_each_piece(const ExchangeSpec& s, const Grid& g, std::int64_t ib, F&& f) {
    const std::size_t nd = s.in.size();
    const auto ic = block_coords(s.in, ib);
    // Per dimension, the output blocks this input block overlaps.
    std::vector<std::pair<std::int64_t, std::int64_t>> range(nd);
    for (std::size_t d = 0; d < nd; ++d) {
        const auto lo = g.in[d][static_cast<std::size_t>(ic[d])],
                   hi = g.in[d][static_cast<std::size_t>(ic[d]) + 1];
        const auto& oo = g.out[d];
        auto first =
            static_cast<std::int64_t>(std::upper_bound(oo.begin(), oo.end(), lo) - oo.begin()) - 1;
        auto last =
            static_cast<std::int64_t>(std::lower_bound(oo.begin(), oo.end(), hi) - oo.begin()) - 1;
        const auto count = static_cast<std::int64_t>(s.out[d].size());
        first = std::clamp<std::int64_t>(first, 0, count - 1);
        range[d] = {first, std::clamp<std::int64_t>(last, first, count - 1)};
    }
    std::vector<std::int64_t> oc(nd);
    Piece p;
    p.src_start.resize(nd);
    p.dst_start.resize(nd);
    p.extent.resize(nd);
    std::function<void(std::size_t)> visit = [&](std::size_t d) {
        if (d == nd) {
            for (std::size_t k = 0; k < nd; ++k) {
                const auto in_lo = g.in[k][static_cast<std::size_t>(ic[k])];
                const auto out_lo = g.out[k][static_cast<std::size_t>(oc[k])];
                const auto lo = std::max(out_lo, in_lo);
                const auto hi = std::min(g.out[k][static_cast<std::size_t>(oc[k]) + 1],
                                         g.in[k][static_cast<std::size_t>(ic[k]) + 1]);
                p.src_start[k] = lo - in_lo;
                p.dst_start[k] = lo - out_lo;
                p.extent[k] = std::max<std::int64_t>(hi - lo, 0);
            }
            p.block = block_flat(s.out, oc);
            f(p);
            return;
        }
        for (oc[d] = range[d].first; oc[d] <= range[d].second; ++oc[d]) visit(d + 1);
    };
    visit(0);
}

/// A piece on the wire: [i64 output block][i64 dst_start x nd][i64 extent x nd][elements].
std::size_t wire_size(const Piece& p, std::size_t element) {
    return 8 * (1 + 2 * p.extent.size()) +
           static_cast<std::size_t>(kernels::shape_size(p.extent)) * element;
}

/// The pieces of the blocks this worker holds, one byte stream per destination worker. Each
/// stream is sized first, then the pieces are copied straight from their blocks into it.
std::vector<Bytes> cut(const WorkerGroup& group, const ExchangeSpec& s,
                       std::span<const ArgView> blocks) {
    const Grid g(s);
    const std::size_t element = kernels::dtype_size(s.dtype);
    std::vector<std::size_t> sizes(static_cast<std::size_t>(s.workers));
    for (std::size_t ib = 0; ib < blocks.size(); ++ib)
        if (blocks[ib].data)  // not held by another worker
            for_each_piece(s, g, static_cast<std::int64_t>(ib), [&](const Piece& p) {
                sizes[static_cast<std::size_t>(p.block % s.workers)] += wire_size(p, element);
            });
    std::vector<Bytes> streams(sizes.size());
    for (std::size_t w = 0; w < sizes.size(); ++w) streams[w].resize(sizes[w]);
    std::vector<std::size_t> at(sizes.size());
    for (std::size_t ib = 0; ib < blocks.size(); ++ib) {
        if (!blocks[ib].data) continue;
        group.keepalive();
        const kernels::Buffer src = read_block(blocks[ib]);
        for_each_piece(s, g, static_cast<std::int64_t>(ib), [&](const Piece& p) {
            const auto w = static_cast<std::size_t>(p.block % s.workers);
            std::byte* to = reinterpret_cast<std::byte*>(streams[w].data()) + at[w];
            const std::size_t nd = p.extent.size();
            std::memcpy(to, &p.block, 8);
            std::memcpy(to + 8, p.dst_start.data(), 8 * nd);
            std::memcpy(to + 8 * (1 + nd), p.extent.data(), 8 * nd);
            kernels::copy_region(element, src.bytes(), src.shape(), p.src_start,
                                 to + 8 * (1 + 2 * nd), p.extent, std::vector<std::int64_t>(nd, 0),
                                 p.extent);
            at[w] += wire_size(p, element);
        });
    }
    return streams;
}

/// Where an output block's elements are written: in the exchange's result.
struct OutputBlock {
    std::byte* data = nullptr;
    Shape shape;
};

/// Puts the pieces of `stream` into this worker's output blocks (`blocks[ob / workers]`),
/// straight from the stream.
void assemble(const WorkerGroup& group, const ExchangeSpec& s, const Bytes& stream,
              const std::vector<OutputBlock>& blocks) {
    const std::size_t nd = s.in.size(), element = kernels::dtype_size(s.dtype);
    const auto* at = reinterpret_cast<const std::byte*>(stream.data());
    const auto* end = at + stream.size();
    std::vector<std::int64_t> dst_start(nd);
    Shape extent(nd);
    while (at < end) {
        group.keepalive();
        if (end - at < static_cast<std::ptrdiff_t>(8 * (1 + 2 * nd)))
            throw Error("internal: a rechunk piece is cut short");
        std::int64_t ob = 0;
        std::memcpy(&ob, at, 8);
        std::memcpy(dst_start.data(), at + 8, 8 * nd);
        std::memcpy(extent.data(), at + 8 * (1 + nd), 8 * nd);
        const std::byte* values = at + 8 * (1 + 2 * nd);
        const auto bytes = static_cast<std::size_t>(kernels::shape_size(extent)) * element;
        const auto i = static_cast<std::size_t>(ob / s.workers);
        if (static_cast<std::size_t>(end - values) < bytes || ob % s.workers != group.rank() ||
            i >= blocks.size())
            throw Error("internal: a rechunk piece is cut short or not this worker's");
        kernels::copy_region(element, values, extent, std::vector<std::int64_t>(nd, 0),
                             blocks[i].data, blocks[i].shape, dst_start, extent);
        at = values + bytes;
    }
}

}  // namespace

const FunctionInfo& tasks::rechunk_exchange = register_collective_function(
    "array.rechunk_exchange", [](WorkerGroup& group, std::span<const ArgView> args, Bytes& out) {
        const auto s = read_spec<ExchangeSpec>(args[0]);
        if (group.size() != s.workers)
            throw Error("internal: an exchange planned for " + std::to_string(s.workers) +
                        " workers ran on " + std::to_string(group.size()));
        const std::vector<Bytes> received =
            group.alltoallv(cut(group, s, args.subspan(1)), s.round_bytes);
        // The result holds every output block of this worker (b = me, me + W, ...), each in
        // wire form, after a table of their offsets. It is laid out first, whole, and the pieces
        // are copied straight into it: every element of an output block comes from exactly one
        // piece. It lives in the chunk store like any result, where the take tasks read it.
        const std::int64_t me = group.rank();
        std::vector<std::int64_t> mine_order;
        for (std::int64_t ob = me; ob < grid_size(s.out); ob += s.workers) mine_order.push_back(ob);
        std::size_t room = 8 * (1 + mine_order.size());
        std::vector<OutputBlock> blocks(mine_order.size());
        for (std::size_t i = 0; i < mine_order.size(); ++i) {
            blocks[i].shape = block_shape(s.out, block_coords(s.out, mine_order[i]));
            room += kernels::Buffer::header_bytes(s.out.size()) +
                    static_cast<std::size_t>(kernels::shape_size(blocks[i].shape)) *
                        kernels::dtype_size(s.dtype);
        }
        out.reserve(room);
        ByteWriter w(out);
        w.pod<std::uint64_t>(mine_order.size());
        const std::size_t table = out.size();
        out.resize(table + mine_order.size() * sizeof(std::uint64_t));
        std::vector<std::size_t> data_at(mine_order.size());
        for (std::size_t i = 0; i < mine_order.size(); ++i) {
            const std::uint64_t offset = out.size();
            std::memcpy(out.data() + table + i * sizeof offset, &offset, sizeof offset);
            data_at[i] = kernels::Buffer::append_wire_form(out, s.dtype, blocks[i].shape);
        }
        for (std::size_t i = 0; i < blocks.size(); ++i)
            blocks[i].data = reinterpret_cast<std::byte*>(out.data() + data_at[i]);
        for (const auto& stream : received) assemble(group, s, stream, blocks);
    });

/// Output block b of an exchange over W workers: block b / W of worker b mod W's result.
const FunctionInfo& tasks::rechunk_take =
    register_raw_function("array.rechunk_take", [](std::span<const ArgView> args, Bytes& out) {
        const auto [ob, workers] = read_spec<TakeSpec>(args[0]);
        ByteReader r(args[1].data, args[1].size);
        const auto count = r.pod<std::uint64_t>();
        const auto i = static_cast<std::uint64_t>(ob / workers);
        if (i >= count)
            throw Error("internal: rechunked block " + std::to_string(ob) +
                        " is not on this worker");
        std::uint64_t begin = 0, end = args[1].size;
        std::memcpy(&begin, args[1].data + sizeof count + i * sizeof begin, sizeof begin);
        if (i + 1 < count)
            std::memcpy(&end, args[1].data + sizeof count + (i + 1) * sizeof end, sizeof end);
        out.assign(args[1].data + begin, args[1].data + end);
    });

std::vector<TaskId> Materializer::build_rechunk(const NodePtr& node) {
    const ArrayNode& n = *node;
    const NodePtr& src = n.inputs[0];
    const auto& in = blocks(src);
    ExchangeSpec s;
    s.dtype = n.dtype;
    s.in = src->chunks;
    s.out = n.chunks;
    s.workers = Client::current().num_workers();
    s.round_bytes = static_cast<std::int64_t>(
        std::max<std::size_t>(Client::current().options().exchange_round_bytes, 1));
    const TaskId exchanged = add(tasks::rechunk_exchange, encode_spec(s), in);
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        const TaskId t = add(tasks::rechunk_take, encode_spec(TakeSpec{b, s.workers}), {exchanged});
        g_.graph.restrict_to(t, static_cast<int>(1 + b % s.workers));  // where the exchange left it
        out.push_back(t);
    }
    return out;
}

}  // namespace tessera::detail
