#pragma once
// The MPI transport: nonblocking sends of whole batches, matched probes (MPI_Improbe/MPI_Mrecv)
// for receives from any rank. Only the rank's progress thread calls it (MPI_THREAD_FUNNELED).
#include <mpi.h>

#include <deque>
#include <string>

#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/error.hpp"

namespace tessera {

/// Throws CommError naming the MPI call, where it was made and MPI's own message.
void check_mpi(int rc, const char* call, const char* file, int line);
#define TESSERA_CHECK_MPI(call) ::tessera::check_mpi((call), #call, __FILE__, __LINE__)

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

}  // namespace tessera
