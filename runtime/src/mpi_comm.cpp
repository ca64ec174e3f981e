#include "mpi_comm.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "tessera/io/scratch.hpp"
#include "tessera/runtime/runtime.hpp"

namespace tessera {

void check_mpi(int rc, const char* call, const char* file, int line) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw CommError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                    std::string(text, static_cast<std::size_t>(len)));
}

namespace mpi {

void initialize(int& argc, char**& argv) {
    int provided = 0;
    TESSERA_CHECK_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
    if (provided < MPI_THREAD_FUNNELED)
        throw CommError("the MPI library does not provide MPI_THREAD_FUNNELED");
}

void finalize() { MPI_Finalize(); }

int world_rank() {
    int rank = 0;
    TESSERA_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    return rank;
}

int world_size() {
    int size = 0;
    TESSERA_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
    return size;
}

int ranks_on_node() {
    MPI_Comm node;
    TESSERA_CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank(),
                                          MPI_INFO_NULL, &node));
    int ranks = 1;
    TESSERA_CHECK_MPI(MPI_Comm_size(node, &ranks));
    MPI_Comm_free(&node);
    return ranks;
}

void world_barrier() { TESSERA_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD)); }

void abort_job(int code) {
    io::remove_registered_scratch();  // MPI_Abort ends this process without unwinding it
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // MPI_Abort does not return; this tells the compiler so
}

}  // namespace mpi

std::string mpi_library_version() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(text, &len);
    const std::string line(text, static_cast<std::size_t>(len));
    return line.substr(0, line.find_first_of(",\n"));
}

MpiComm::MpiComm(MPI_Comm parent) {
    TESSERA_CHECK_MPI(MPI_Comm_dup(parent, &comm_));
    TESSERA_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    TESSERA_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
    TESSERA_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

MpiComm::~MpiComm() {
    for (auto& p : pending_) MPI_Wait(&p.request, MPI_STATUS_IGNORE);
    pending_.clear();
    MPI_Comm_free(&comm_);
}

void MpiComm::isend(const char* data, std::size_t size, int dest, int tag, MPI_Request* request) {
    if (size > static_cast<std::size_t>(INT_MAX))
        throw CommError("message of " + std::to_string(size) + " bytes to rank " +
                        std::to_string(dest) +
                        " exceeds MPI's 2 GiB count limit; use smaller chunks");
    TESSERA_CHECK_MPI(MPI_Isend(data, static_cast<int>(size), MPI_BYTE, dest, tag, comm_, request));
}

void MpiComm::send(int dest, Bytes payload) {
    pending_.push_back(PendingSend{std::move(payload), nullptr, MPI_REQUEST_NULL});
    auto& p = pending_.back();
    isend(p.batch.data(), p.batch.size(), dest, kTag, &p.request);
    complete_sends();
}

void MpiComm::send_payload(int dest, SharedBytes payload) {
    pending_.push_back(PendingSend{{}, std::move(payload), MPI_REQUEST_NULL});
    auto& p = pending_.back();
    isend(p.payload->data(), p.payload->size(), dest, kPayloadTag, &p.request);
    complete_sends();
}

Bytes MpiComm::receive_payload(int source) {
    MPI_Message message;
    MPI_Status status;
    TESSERA_CHECK_MPI(MPI_Mprobe(source, kPayloadTag, comm_, &message, &status));
    int count = 0;
    TESSERA_CHECK_MPI(MPI_Get_count(&status, MPI_BYTE, &count));
    Bytes b(static_cast<std::size_t>(count));
    TESSERA_CHECK_MPI(MPI_Mrecv(b.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE));
    return b;
}

void MpiComm::complete_sends() {
    // Sends complete roughly in order; stop at the first one still in flight.
    while (!pending_.empty()) {
        int done = 0;
        TESSERA_CHECK_MPI(MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE));
        if (!done) break;
        pending_.pop_front();
    }
}

bool MpiComm::try_receive(Envelope& out) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    TESSERA_CHECK_MPI(MPI_Improbe(MPI_ANY_SOURCE, kTag, comm_, &flag, &message, &status));
    if (!flag) {
        complete_sends();
        return false;
    }
    int count = 0;
    TESSERA_CHECK_MPI(MPI_Get_count(&status, MPI_BYTE, &count));
    out.source = status.MPI_SOURCE;
    out.payload.resize(static_cast<std::size_t>(count));
    TESSERA_CHECK_MPI(MPI_Mrecv(out.payload.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE));
    return true;
}

}  // namespace tessera

namespace tessera {

namespace {
MPI_Op mpi_op(ReduceOp op) {
    switch (op) {
        case ReduceOp::kSum:
            return MPI_SUM;
        case ReduceOp::kMin:
            return MPI_MIN;
        case ReduceOp::kMax:
            return MPI_MAX;
    }
    return MPI_SUM;
}

int int_count(std::size_t n, const char* what) {
    if (n > static_cast<std::size_t>(INT_MAX))
        throw CommError(std::string(what) + ": " + std::to_string(n) +
                        " values exceed MPI's count limit");
    return static_cast<int>(n);
}
}  // namespace

std::unique_ptr<MpiWorkerGroup> MpiWorkerGroup::split_workers(MPI_Comm world) {
    int rank = 0;
    TESSERA_CHECK_MPI(MPI_Comm_rank(world, &rank));
    MPI_Comm workers = MPI_COMM_NULL;
    TESSERA_CHECK_MPI(MPI_Comm_split(world, rank == 0 ? MPI_UNDEFINED : 1, rank, &workers));
    if (workers == MPI_COMM_NULL) return nullptr;
    return std::unique_ptr<MpiWorkerGroup>(new MpiWorkerGroup(workers));
}

MpiWorkerGroup::MpiWorkerGroup(MPI_Comm comm) : comm_(comm) {
    TESSERA_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
    TESSERA_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
    TESSERA_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

MpiWorkerGroup::~MpiWorkerGroup() { MPI_Comm_free(&comm_); }

std::vector<Bytes> MpiWorkerGroup::alltoallv(std::vector<Bytes> send, std::int64_t round_bytes) {
    const auto w = static_cast<std::size_t>(size_);
    if (send.size() != w)
        throw UsageError("alltoallv: " + std::to_string(send.size()) +
                         " send buffers for a group of " + std::to_string(w));
    // The 64-bit totals first: each side then knows every message it takes part in.
    std::vector<std::int64_t> sizes(w), incoming(w);
    for (std::size_t k = 0; k < w; ++k) sizes[k] = static_cast<std::int64_t>(send[k].size());
    TESSERA_CHECK_MPI(
        MPI_Alltoall(sizes.data(), 1, MPI_INT64_T, incoming.data(), 1, MPI_INT64_T, comm_));
    // Point to point, straight from each send buffer into its receive buffer (no packing into
    // one buffer and out again), in messages of at most `round` bytes (MPI counts are int): a
    // round posts the next message of every pair and waits for them. Messages between two
    // members match in order, so members need not agree on the number of rounds.
    const std::int64_t round = std::clamp<std::int64_t>(round_bytes, 1, INT_MAX);
    std::vector<Bytes> received(w);
    received[static_cast<std::size_t>(rank_)] = std::move(send[static_cast<std::size_t>(rank_)]);
    std::int64_t rounds = 0;
    for (std::size_t k = 0; k < w; ++k) {
        if (static_cast<int>(k) == rank_) continue;
        received[k].resize(static_cast<std::size_t>(incoming[k]));
        rounds = std::max(rounds, (std::max(sizes[k], incoming[k]) + round - 1) / round);
    }
    const auto piece = [round](std::int64_t total, std::int64_t r) {
        return static_cast<int>(std::clamp<std::int64_t>(total - r * round, 0, round));
    };
    std::vector<MPI_Request> requests;
    for (std::int64_t r = 0; r < rounds; ++r) {
        keepalive();
        requests.clear();
        for (std::size_t k = 0; k < w; ++k) {
            if (static_cast<int>(k) == rank_) continue;
            const auto offset = static_cast<std::size_t>(r * round);
            if (const int n = piece(incoming[k], r); n > 0)
                TESSERA_CHECK_MPI(MPI_Irecv(received[k].data() + offset, n, MPI_BYTE,
                                            static_cast<int>(k), kExchangeTag, comm_,
                                            &requests.emplace_back()));
            if (const int n = piece(sizes[k], r); n > 0)
                TESSERA_CHECK_MPI(MPI_Isend(send[k].data() + offset, n, MPI_BYTE,
                                            static_cast<int>(k), kExchangeTag, comm_,
                                            &requests.emplace_back()));
        }
        TESSERA_CHECK_MPI(
            MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
    }
    return received;
}

void MpiWorkerGroup::allreduce(std::span<std::int64_t> values, ReduceOp op) {
    TESSERA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, values.data(),
                                    int_count(values.size(), "allreduce"), MPI_INT64_T, mpi_op(op),
                                    comm_));
}

void MpiWorkerGroup::allreduce(std::span<double> values, ReduceOp op) {
    TESSERA_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, values.data(),
                                    int_count(values.size(), "allreduce"), MPI_DOUBLE, mpi_op(op),
                                    comm_));
}

void MpiWorkerGroup::exscan(std::span<std::int64_t> values) {
    std::vector<std::int64_t> in(values.begin(), values.end());
    TESSERA_CHECK_MPI(MPI_Exscan(in.data(), values.data(), int_count(values.size(), "exscan"),
                                 MPI_INT64_T, MPI_SUM, comm_));
    if (rank_ == 0) std::fill(values.begin(), values.end(), 0);  // MPI leaves member 0's undefined
}

void MpiWorkerGroup::barrier() { TESSERA_CHECK_MPI(MPI_Barrier(comm_)); }

}  // namespace tessera
