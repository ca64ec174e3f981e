#include "mpi_comm.hpp"

#include <climits>

namespace tessera {

void check_mpi(int rc, const char* call, const char* file, int line) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw CommError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                    std::string(text, static_cast<std::size_t>(len)));
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
                        std::to_string(dest) + " exceeds MPI's 2 GiB count limit; use smaller chunks");
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
