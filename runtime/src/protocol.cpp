#include "protocol.hpp"

namespace tessera::protocol {

void write_stats(ByteWriter& w, const WorkerStats& s) {
    w.pod(s.tasks);
    w.pod(s.transfers);
    w.pod(s.transfer_bytes);
    w.pod(s.spills);
    w.pod(s.spill_bytes);
    w.pod(s.peak_memory);
    w.pod(s.held_results);
    w.pod<std::uint64_t>(s.tasks_run.size());
    w.write(s.tasks_run.data(), s.tasks_run.size() * sizeof(TaskEvent));
    w.pod<std::uint64_t>(s.transfers_in.size());
    w.write(s.transfers_in.data(), s.transfers_in.size() * sizeof(TransferEvent));
}

WorkerStats read_stats(ByteReader& r) {
    WorkerStats s;
    s.tasks = r.pod<std::uint64_t>();
    s.transfers = r.pod<std::uint64_t>();
    s.transfer_bytes = r.pod<std::uint64_t>();
    s.spills = r.pod<std::uint64_t>();
    s.spill_bytes = r.pod<std::uint64_t>();
    s.peak_memory = r.pod<std::uint64_t>();
    s.held_results = r.pod<std::uint64_t>();
    s.tasks_run.resize(r.pod<std::uint64_t>());
    r.read(s.tasks_run.data(), s.tasks_run.size() * sizeof(TaskEvent));
    s.transfers_in.resize(r.pod<std::uint64_t>());
    r.read(s.transfers_in.data(), s.transfers_in.size() * sizeof(TransferEvent));
    return s;
}

}  // namespace tessera::protocol
