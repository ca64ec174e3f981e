// Rechunking as one collective phase over the workers, not a task per piece: every worker
// cuts the blocks it holds into the pieces each output block needs, the pieces travel in
// MPI_Alltoallv rounds of bounded size, and each worker assembles the output blocks assigned to
// it (block b to worker b mod W). A "take" task per output block, restricted to that worker,
// then hands the assembled block to the chunk store. In a one-process job the workers are
// threads and the pieces meet in memory.
#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>

#include "array_node.hpp"
#include "array_specs.hpp"
#include "tessera/kernels/block_ops.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "../mpi_comm.hpp"
#include "../worker_communicator.hpp"

namespace tessera::detail {

namespace {

struct ExchangeSpec {
    std::uint64_t token = 0;
    kernels::DType dtype = kernels::DType::kFloat64;
    Chunks in, out;
    std::int64_t workers = 1;
    std::int64_t round_bytes = std::int64_t{256} << 20;  // per destination and round
    void write(ByteWriter& w) const {
        w.pod(token); w.pod(dtype); w.pod(workers); w.pod(round_bytes);
        w.pod<std::uint64_t>(in.size());
        for (std::size_t d = 0; d < in.size(); ++d) { write_vec(w, in[d]); write_vec(w, out[d]); }
    }
    static ExchangeSpec read(ByteReader& r) {
        ExchangeSpec s;
        s.token = r.pod<std::uint64_t>(); s.dtype = r.pod<kernels::DType>(); s.workers = r.pod<std::int64_t>();
        s.round_bytes = r.pod<std::int64_t>();
        const auto nd = r.pod<std::uint64_t>();
        s.in.resize(nd);
        s.out.resize(nd);
        for (std::size_t d = 0; d < nd; ++d) { s.in[d] = read_vec(r); s.out[d] = read_vec(r); }
        return s;
    }
};

/// A piece on the wire: [i64 output block][i64 dst_start x nd][i64 extent x nd][elements].
void append_piece(Bytes& stream, std::int64_t block, const std::vector<std::int64_t>& dst_start, const Shape& extent,
                  const kernels::Buffer& src, const std::vector<std::int64_t>& src_start) {
    ByteWriter w(stream);
    w.pod(block);
    w.write(dst_start.data(), dst_start.size() * 8);
    w.write(extent.data(), extent.size() * 8);
    kernels::Buffer piece(src.dtype(), extent);
    kernels::copy_region(src, src_start, piece, std::vector<std::int64_t>(extent.size(), 0), extent);
    w.write(piece.bytes(), piece.nbytes());
}

/// The pieces of the blocks this worker holds, one byte stream per destination worker.
std::vector<Bytes> cut(const ExchangeSpec& s, std::span<const ArgView> blocks) {
    std::vector<Bytes> streams(static_cast<std::size_t>(s.workers));
    const std::size_t nd = s.in.size();
    std::vector<std::vector<std::int64_t>> in_offs(nd), out_offs(nd);
    for (std::size_t d = 0; d < nd; ++d) {
        in_offs[d] = chunk_offsets(s.in[d]);
        out_offs[d] = chunk_offsets(s.out[d]);
    }
    for (std::size_t ib = 0; ib < blocks.size(); ++ib) {
        if (!blocks[ib].data) continue;  // held by another worker
        const kernels::Buffer src = read_block(blocks[ib]);
        const auto ic = block_coords(s.in, static_cast<std::int64_t>(ib));
        // Per dimension, the output blocks this input block overlaps.
        std::vector<std::pair<std::int64_t, std::int64_t>> range(nd);
        for (std::size_t d = 0; d < nd; ++d) {
            const auto lo = in_offs[d][static_cast<std::size_t>(ic[d])], hi = in_offs[d][static_cast<std::size_t>(ic[d]) + 1];
            const auto& oo = out_offs[d];
            auto first = static_cast<std::int64_t>(std::upper_bound(oo.begin(), oo.end(), lo) - oo.begin()) - 1;
            auto last = static_cast<std::int64_t>(std::lower_bound(oo.begin(), oo.end(), hi) - oo.begin()) - 1;
            const auto count = static_cast<std::int64_t>(s.out[d].size());
            first = std::clamp<std::int64_t>(first, 0, count - 1);
            range[d] = {first, std::clamp<std::int64_t>(last, first, count - 1)};
        }
        std::vector<std::int64_t> oc(nd);
        std::function<void(std::size_t)> visit = [&](std::size_t d) {
            if (d == nd) {
                std::vector<std::int64_t> src_start, dst_start;
                Shape extent;
                for (std::size_t k = 0; k < nd; ++k) {
                    const auto lo = std::max(out_offs[k][static_cast<std::size_t>(oc[k])], in_offs[k][static_cast<std::size_t>(ic[k])]);
                    const auto hi = std::min(out_offs[k][static_cast<std::size_t>(oc[k]) + 1], in_offs[k][static_cast<std::size_t>(ic[k]) + 1]);
                    src_start.push_back(lo - in_offs[k][static_cast<std::size_t>(ic[k])]);
                    dst_start.push_back(lo - out_offs[k][static_cast<std::size_t>(oc[k])]);
                    extent.push_back(std::max<std::int64_t>(hi - lo, 0));
                }
                const std::int64_t ob = block_flat(s.out, oc);
                append_piece(streams[static_cast<std::size_t>(ob % s.workers)], ob, dst_start, extent, src, src_start);
                return;
            }
            for (oc[d] = range[d].first; oc[d] <= range[d].second; ++oc[d]) visit(d + 1);
        };
        visit(0);
    }
    return streams;
}

/// Output blocks assembled by the exchange, waiting for their take task. Process-wide.
struct Assembled {
    std::mutex mutex;
    std::map<std::pair<std::uint64_t, std::int64_t>, kernels::Buffer> blocks;
};
Assembled& assembled() {
    static Assembled a;
    return a;
}

/// Puts the pieces of `stream` into this worker's output blocks.
void assemble(const ExchangeSpec& s, const Bytes& stream, std::map<std::int64_t, kernels::Buffer>& out) {
    const std::size_t nd = s.in.size();
    ByteReader r(stream);
    while (!r.done()) {
        const auto ob = r.pod<std::int64_t>();
        std::vector<std::int64_t> dst_start(nd);
        Shape extent(nd);
        r.read(dst_start.data(), nd * 8);
        r.read(extent.data(), nd * 8);
        kernels::Buffer piece(s.dtype, extent);
        r.read(piece.bytes(), piece.nbytes());
        auto it = out.find(ob);
        if (it == out.end())
            it = out.emplace(ob, kernels::Buffer(s.dtype, block_shape(s.out, block_coords(s.out, ob)))).first;
        kernels::copy_region(piece, std::vector<std::int64_t>(nd, 0), it->second, dst_start, extent);
    }
}

/// MPI: the streams travel in Alltoallv rounds of at most round_bytes per destination.
std::vector<Bytes> exchange_mpi(const ExchangeSpec& s, std::vector<Bytes> send, MPI_Comm comm) {
    const auto w = static_cast<std::size_t>(s.workers);
    std::int64_t longest = 0;
    for (const auto& b : send) longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(b.size()));
    TESSERA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &longest, 1, MPI_INT64_T, MPI_MAX, comm));
    const std::int64_t rounds = std::max<std::int64_t>(1, (longest + s.round_bytes - 1) / s.round_bytes);
    std::vector<Bytes> received(w);
    std::vector<int> scount(w), sdispl(w), rcount(w), rdispl(w);
    Bytes sendbuf, recvbuf;
    for (std::int64_t round = 0; round < rounds; ++round) {
        sendbuf.clear();
        for (std::size_t k = 0; k < w; ++k) {
            const auto begin = std::min<std::int64_t>(round * s.round_bytes, static_cast<std::int64_t>(send[k].size()));
            const auto end = std::min<std::int64_t>(begin + s.round_bytes, static_cast<std::int64_t>(send[k].size()));
            sdispl[k] = static_cast<int>(sendbuf.size());
            scount[k] = static_cast<int>(end - begin);
            sendbuf.insert(sendbuf.end(), send[k].begin() + begin, send[k].begin() + end);
        }
        TESSERA_CHECK_MPI(MPI_Alltoall(scount.data(), 1, MPI_INT, rcount.data(), 1, MPI_INT, comm));
        std::int64_t total = 0;
        for (std::size_t k = 0; k < w; ++k) {
            rdispl[k] = static_cast<int>(total);
            total += rcount[k];
        }
        recvbuf.resize(static_cast<std::size_t>(total));
        TESSERA_CHECK_MPI(MPI_Alltoallv(sendbuf.data(), scount.data(), sdispl.data(), MPI_BYTE, recvbuf.data(), rcount.data(),
                                        rdispl.data(), MPI_BYTE, comm));
        for (std::size_t k = 0; k < w; ++k)
            received[k].insert(received[k].end(), recvbuf.begin() + rdispl[k], recvbuf.begin() + rdispl[k] + rcount[k]);
    }
    return received;
}

/// One process: the workers are threads; the streams meet in memory.
struct Meeting {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::uint64_t, std::vector<std::vector<Bytes>>> streams;  // token -> per sender
    std::map<std::uint64_t, std::int64_t> arrived, left;
};
std::vector<Bytes> exchange_in_process(const ExchangeSpec& s, std::vector<Bytes> send, std::int64_t me) {
    static Meeting m;
    std::unique_lock lock(m.mutex);
    auto& all = m.streams[s.token];
    all.resize(static_cast<std::size_t>(s.workers));
    all[static_cast<std::size_t>(me)] = std::move(send);
    ++m.arrived[s.token];
    m.cv.notify_all();
    m.cv.wait(lock, [&] { return m.arrived[s.token] == s.workers; });
    std::vector<Bytes> received;
    for (auto& from : all) received.push_back(std::move(from[static_cast<std::size_t>(me)]));
    if (++m.left[s.token] == s.workers) {
        m.streams.erase(s.token);
        m.arrived.erase(s.token);
        m.left.erase(s.token);
    }
    return received;
}

[[maybe_unused]] const auto& exchange = register_raw_function(
    "array.rechunk_exchange",
    [](std::span<const ArgView> args, Bytes& out) {
        ByteReader r(args[0].data, args[0].size);
        const auto s = ExchangeSpec::read(r);
        auto streams = cut(s, args.subspan(1));
        const MPI_Comm comm = worker_communicator();
        const std::int64_t me = this_worker_rank() - 1;  // also this process's rank in `comm`
        if (me < 0) throw Error("internal: an exchange outside a worker's progress thread");
        std::vector<Bytes> received = comm != MPI_COMM_NULL ? exchange_mpi(s, std::move(streams), comm)
                                                            : exchange_in_process(s, std::move(streams), me);
        std::map<std::int64_t, kernels::Buffer> mine;
        for (const auto& stream : received) assemble(s, stream, mine);
        // Output blocks that received no piece (empty blocks) are still this worker's.
        for (std::int64_t ob = me; ob < grid_size(s.out); ob += s.workers)
            if (!mine.count(ob)) mine.emplace(ob, kernels::Buffer(s.dtype, block_shape(s.out, block_coords(s.out, ob))));
        {
            std::lock_guard lock(assembled().mutex);
            for (auto& [ob, block] : mine) assembled().blocks.emplace(std::make_pair(s.token, ob), std::move(block));
        }
        ByteWriter w(out);
        w.pod(s.token);
    },
    Placement::kCollective);

[[maybe_unused]] const auto& take = register_raw_function("array.rechunk_take", [](std::span<const ArgView> args, Bytes& out) {
    ByteReader r(args[0].data, args[0].size);
    const auto token = r.pod<std::uint64_t>();
    const auto ob = r.pod<std::int64_t>();
    kernels::Buffer block;
    {
        std::lock_guard lock(assembled().mutex);
        auto it = assembled().blocks.find({token, ob});
        if (it == assembled().blocks.end())
            throw Error("internal: rechunked block " + std::to_string(ob) + " is not on this worker");
        block = std::move(it->second);
        assembled().blocks.erase(it);
    }
    emit_block(std::move(block), out);
});

}  // namespace

std::vector<TaskId> Materializer::build_rechunk(const NodePtr& node) {
    const ArrayNode& n = *node;
    const NodePtr& src = n.inputs[0];
    const auto& in = blocks(src);
    static std::uint64_t next_token = 0x7e55e7a000000000ull;
    ExchangeSpec s;
    s.token = ++next_token;
    s.dtype = n.dtype;
    s.in = src->chunks;
    s.out = n.chunks;
    s.workers = Client::current().num_workers();
    s.round_bytes = static_cast<std::int64_t>(std::max<std::size_t>(Client::current().options().exchange_round_bytes, 1));
    const TaskId exchanged = add("array.rechunk_exchange", encode_spec(s), in);
    std::vector<TaskId> out;
    for (std::int64_t b = 0; b < grid_size(n.chunks); ++b) {
        Bytes spec;
        ByteWriter w(spec);
        w.pod(s.token);
        w.pod(b);
        const TaskId t = add("array.rechunk_take", spec, {exchanged});
        g_.graph.restrict_to(t, static_cast<int>(1 + b % s.workers));  // where the exchange left it
        out.push_back(t);
    }
    return out;
}

}  // namespace tessera::detail
