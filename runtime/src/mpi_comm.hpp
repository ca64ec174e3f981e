#pragma once
// The MPI transport: nonblocking sends of whole batches, matched probes (MPI_Improbe/MPI_Mrecv)
// for receives from any rank. Only the rank's progress thread calls it (MPI_THREAD_FUNNELED).
#include <mpi.h>

#include <deque>
#include <string>

#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/error.hpp"
#include "tessera/runtime/worker_group.hpp"

namespace tessera {

/// Throws CommError naming the MPI call, where it was made and MPI's own message.
void check_mpi(int rc, const char* call, const char* file, int line);
#define TESSERA_CHECK_MPI(call) ::tessera::check_mpi((call), #call, __FILE__, __LINE__)

/// MPI for this process: its start and end, the world, the node and the job's end on failure.
/// Every MPI call of the runtime is in this file's implementation.
namespace mpi {
/// MPI_Init_thread with MPI_THREAD_FUNNELED (only the progress thread calls MPI); throws CommError.
void initialize(int& argc, char**& argv);
void finalize();
int world_rank();
int world_size();
/// The ranks of the job on this rank's node (shared memory), for dividing the node's memory.
int ranks_on_node();
void world_barrier();
/// Ends every rank of the job (a worker that cannot go on would leave the scheduler waiting).
[[noreturn]] void abort_job(int code);
}  // namespace mpi

class MpiComm final : public Comm {
public:
    /// Collective over `parent`: duplicates it so tessera's traffic never meets the user's.
    explicit MpiComm(MPI_Comm parent);
    /// Completes the sends still in flight, then frees the duplicate (collective).
    ~MpiComm() override;

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void send(int dest, Bytes payload) override;
    bool try_receive(Envelope& out) override;
    bool notifies_on_arrival() const override { return false; }
    bool spans_processes() const override { return true; }
    void send_payload(int dest, SharedBytes payload) override;
    Bytes receive_payload(int source) override;

private:
    void complete_sends();
    void isend(const char* data, std::size_t size, int dest, int tag, MPI_Request* request);

    struct PendingSend {
        Bytes batch;          // a batch, owned here
        SharedBytes payload;  // or a payload shared with the chunk store
        MPI_Request request;
    };
    static constexpr int kTag = 7;
    static constexpr int kPayloadTag = 8;
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
    std::deque<PendingSend> pending_;
};

/// The worker group over MPI: a communicator of the worker ranks (the world without rank 0), made
/// collectively by every rank; rank 0 gets none. Called by the worker's progress thread only.
class MpiWorkerGroup final : public WorkerGroup {
public:
    /// Collective over `world`: splits off the ranks >= 1. Returns null on rank 0.
    static std::unique_ptr<MpiWorkerGroup> split_workers(MPI_Comm world);
    ~MpiWorkerGroup() override;

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::vector<Bytes> alltoallv(std::vector<Bytes> send, std::int64_t round_bytes) override;
    void allreduce(std::span<std::int64_t> values, ReduceOp op) override;
    void allreduce(std::span<double> values, ReduceOp op) override;
    void exscan(std::span<std::int64_t> values) override;
    void barrier() override;
    MPI_Comm mpi_communicator() const override { return comm_; }

private:
    /// The tag of alltoallv's messages, the only point-to-point traffic on the group's
    /// communicator.
    static constexpr int kExchangeTag = 17;
    explicit MpiWorkerGroup(MPI_Comm comm);
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
};

}  // namespace tessera
