#pragma once
// One sequence of collectives that every WorkerGroup implementation must agree on: run by the
// threads of an InProcessGroup (runtime_test), by the worker threads of a one-process job
// (local_cluster_test) and by the MPI worker group of real ranks (runtime_mpi_test, 1, 3 and 4
// ranks). Each member checks what it receives against values computed here from ranks alone and
// throws on the first difference.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/runtime/worker_group.hpp"

namespace group_checks {

/// Bytes member `from` sends member `to` in exchange `round` of the check: uneven, often empty
/// (from == to == 0 always), and a few MiB in the large exchange.
inline std::size_t length(int from, int to, int exchange) {
    if (exchange == 3)
        return from == to ? 0 : (std::size_t{3} << 20) + static_cast<std::size_t>(from * 1000 + to);
    return static_cast<std::size_t>((from * 7 + to * 13 + exchange * 5) % 37) *
           static_cast<std::size_t>(from + to > 0);
}
inline char byte_at(int from, int to, std::size_t i) {
    return static_cast<char>((from * 31 + to * 17 + i * 7) & 0xff);
}

inline void expect(bool ok, const std::string& what, int rank) {
    if (!ok) throw std::runtime_error("worker group member " + std::to_string(rank) + ": " + what);
}

/// Runs the sequence on one member. Returns a checksum of everything received (the same on every
/// member of every implementation for a given size).
inline std::int64_t exercise(tessera::WorkerGroup& g) {
    const int me = g.rank(), n = g.size();
    expect(me >= 0 && me < n, "rank out of range", me);
    // Exchanges with rounds smaller than a message, of odd sizes, and larger than all.
    const std::int64_t round_sizes[] = {1, 5, std::int64_t{1} << 20, std::int64_t{1} << 20};
    for (int x = 0; x < 4; ++x) {
        std::vector<tessera::Bytes> send(static_cast<std::size_t>(n));
        for (int to = 0; to < n; ++to) {
            auto& b = send[static_cast<std::size_t>(to)];
            b.resize(length(me, to, x));
            for (std::size_t i = 0; i < b.size(); ++i) b[i] = byte_at(me, to, i);
        }
        const auto received = g.alltoallv(std::move(send), round_sizes[x]);
        expect(static_cast<int>(received.size()) == n,
               "alltoallv returned the wrong number of buffers", me);
        for (int from = 0; from < n; ++from) {
            const auto& b = received[static_cast<std::size_t>(from)];
            expect(b.size() == length(from, me, x),
                   "alltoallv " + std::to_string(x) + ": " + std::to_string(b.size()) +
                       " bytes from member " + std::to_string(from),
                   me);
            for (std::size_t i = 0; i < b.size(); ++i)
                if (b[i] != byte_at(from, me, i))
                    expect(false,
                           "alltoallv " + std::to_string(x) + ": byte " + std::to_string(i) +
                               " from member " + std::to_string(from) + " differs",
                           me);
        }
    }
    std::int64_t ints[] = {me + 1, -me, std::numeric_limits<std::int64_t>::max() - me};
    g.allreduce(ints, tessera::ReduceOp::kSum);
    const std::int64_t tri = static_cast<std::int64_t>(n) * (n + 1) / 2;
    expect(ints[0] == tri && ints[1] == -(tri - n), "allreduce sum", me);
    std::int64_t mins[] = {me + 1, -me, 5};
    g.allreduce(mins, tessera::ReduceOp::kMin);
    expect(mins[0] == 1 && mins[1] == -(n - 1) && mins[2] == 5, "allreduce min", me);
    std::int64_t maxes[] = {me + 1, -me};
    g.allreduce(maxes, tessera::ReduceOp::kMax);
    expect(maxes[0] == n && maxes[1] == 0, "allreduce max", me);
    double reals[] = {0.5 * me, -1.25};
    g.allreduce(reals, tessera::ReduceOp::kSum);
    expect(reals[0] == 0.25 * n * (n - 1) && reals[1] == -1.25 * n, "allreduce sum of doubles", me);
    double real_max[] = {static_cast<double>(me) * 1.5};
    g.allreduce(real_max, tessera::ReduceOp::kMax);
    expect(real_max[0] == 1.5 * (n - 1), "allreduce max of doubles", me);
    std::int64_t scan[] = {me + 1, 2, 0};
    g.exscan(scan);
    expect(scan[0] == static_cast<std::int64_t>(me) * (me + 1) / 2 && scan[1] == 2 * me &&
               scan[2] == 0,
           "exscan", me);
    std::vector<std::int64_t> none;
    g.allreduce(none, tessera::ReduceOp::kSum);  // nothing to reduce is still a collective
    g.barrier();
    return ints[0] + mins[1] + maxes[0];
}

}  // namespace group_checks
