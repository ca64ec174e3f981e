#pragma once
// The worker group: every rank of the job but the scheduler, for the collective phases of the
// collections (a rechunk's exchange, opening a parallel file, a dataframe's shuffle). A task
// whose function is registered with register_collective_function runs on every worker at once
// and is handed its worker's member of the group; as with MPI, every member makes the same calls
// in the same order. Two implementations: MPI (the workers are processes) and in-process (the
// workers are threads of a one-process job); tests run the same collectives through both.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "tessera/runtime/codec.hpp"

namespace tessera {

enum class ReduceOp : std::uint8_t { kSum, kMin, kMax };

class WorkerGroup {
public:
    virtual ~WorkerGroup() = default;
    /// 0..size()-1: the worker's world rank minus one (rank 0 is the scheduler).
    virtual int rank() const = 0;
    virtual int size() const = 0;

    /// Sends `send[k]` to member k (send.size() == size()) and returns what every member sent to
    /// this one, indexed by sender. Counts are 64-bit: the bytes travel straight from the send
    /// buffers into the receive buffers in messages of at most `round_bytes` (and MPI's 2 GiB
    /// count limit) per destination; what a member sends itself is moved, not copied.
    virtual std::vector<Bytes> alltoallv(std::vector<Bytes> send, std::int64_t round_bytes) = 0;
    /// Combines `values` element by element over the members, in place, on every member.
    virtual void allreduce(std::span<std::int64_t> values, ReduceOp op) = 0;
    virtual void allreduce(std::span<double> values, ReduceOp op) = 0;
    /// Exclusive prefix sums, in place: member r gets the sums of members 0..r-1 (0 on member 0).
    virtual void exscan(std::span<std::int64_t> values) = 0;
    virtual void barrier() = 0;

    /// The group as an MPI communicator, for libraries that do their own collective I/O (parallel
    /// HDF5 opens files over it); MPI_COMM_NULL when the members are threads of one process.
    virtual MPI_Comm mpi_communicator() const = 0;

    /// Called between the rounds of a long collective, and by collective task bodies in their
    /// long local loops, on the member's own thread: the worker sends its heartbeat from it (it
    /// is cheap when one is not due), so a long exchange is not taken for a stalled rank.
    void keepalive() const {
        if (keepalive_) keepalive_();
    }
    void set_keepalive(std::function<void()> f) { keepalive_ = std::move(f); }

private:
    std::function<void()> keepalive_;
};

/// A group of `size` members in one process, each used by its own thread.
class InProcessGroup {
public:
    explicit InProcessGroup(int size);
    ~InProcessGroup();
    WorkerGroup& member(int rank);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
