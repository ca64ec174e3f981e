#pragma once
// The messages between ranks. Every MPI message is a batch of records, each an Op byte followed
// by its fields; a progress loop appends records to a per-destination Outbox and flushes once
// per iteration, so a burst of tiny tasks costs a few messages, not one per task.
// Chunk payloads are copied raw into the batch, never through an archive.
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/comm.hpp"

namespace tessera::protocol {

enum class Op : std::uint8_t {
    // scheduler -> worker
    kAssign = 1,  // key, fn, priority, want_result, args
    kRelease,     // key: no task needs this result any more
    kConfigure,   // trace on/off
    kCollect,     // reply with kStats
    kShutdown,    // exit code
    // worker -> scheduler
    kDone,    // key, nbytes, seconds, bytes and ns fetched since the last kDone, optional result
              // bytes
    kFailed,  // key, message
    kStats,   // counters and trace events
    // any rank -> worker holding data, and the reply
    kFetch,    // key
    kData,     // key, bytes
    kMissing,  // key
};

enum class ArgKind : std::uint8_t { kLiteral = 0, kTask = 1 };

struct TaskEvent {
    std::uint64_t key;
    std::uint32_t fn;
    std::uint32_t thread;  // 0: executor thread, 1: progress thread (short tasks run inline)
    std::int64_t start_ns;
    std::int64_t end_ns;
    std::uint64_t bytes_in;      // the task's inputs
    std::uint64_t bytes_out;     // its result
    std::uint64_t memory_bytes;  // in the worker's store once the result is kept
    std::uint64_t spill_bytes;   // spilled by the worker so far
};

struct TransferEvent {
    std::uint64_t key;
    std::int32_t from;
    std::int64_t start_ns;  // request sent
    std::int64_t end_ns;    // data arrived
    std::uint64_t bytes;
};

struct WorkerStats {
    std::uint64_t tasks = 0;
    std::uint64_t transfers = 0;
    std::uint64_t transfer_bytes = 0;
    std::uint64_t spills = 0;
    std::uint64_t spill_bytes = 0;
    std::uint64_t peak_memory = 0;
    std::uint64_t held_results = 0;  // results in the store now (memory or spilled)
    std::vector<TaskEvent> tasks_run;
    std::vector<TransferEvent> transfers_in;
};

void write_stats(ByteWriter& w, const WorkerStats& s);
WorkerStats read_stats(ByteReader& r);

inline void write_bytes(ByteWriter& w, const char* data, std::size_t n) {
    w.pod<std::uint64_t>(n);
    w.write(data, n);
}

/// Per-destination batches of records. Not thread-safe: owned by one progress loop.
class Outbox {
public:
    explicit Outbox(Comm& comm) : comm_(comm), batches_(static_cast<std::size_t>(comm.size())) {}
    /// A writer appending to the batch for `dest`; write one Op and its fields.
    ByteWriter to(int dest) {
        auto& b = batches_[static_cast<std::size_t>(dest)];
        if (b.empty()) dirty_.push_back(dest);
        return ByteWriter(b);
    }
    /// Appends `data` to a record being written to `dest`: inline when small, else announced
    /// here and sent after the batch as a separate payload message, without a copy.
    void write_payload(int dest, ByteWriter& w, SharedBytes data) {
        const bool attach = data->size() >= kAttachBytes;
        w.pod<std::uint8_t>(attach ? 1 : 0);
        if (!attach) {
            write_bytes(w, data->data(), data->size());
            return;
        }
        w.pod<std::uint64_t>(data->size());
        attachments_.emplace_back(dest, std::move(data));
    }
    /// Sends every non-empty batch, then the payloads announced in them.
    void flush() {
        for (int dest : dirty_) {
            auto& b = batches_[static_cast<std::size_t>(dest)];
            comm_.send(dest, std::move(b));
            b = Bytes();
        }
        dirty_.clear();
        for (auto& [dest, data] : attachments_) comm_.send_payload(dest, std::move(data));
        attachments_.clear();
    }
    /// Appends records until a batch is this big before it is sent early, so a flood of records
    /// does not build one huge message.
    bool large(int dest) const {
        return batches_[static_cast<std::size_t>(dest)].size() > (1u << 20);
    }

    static constexpr std::size_t kAttachBytes = 64 * 1024;

private:
    Comm& comm_;
    std::vector<Bytes> batches_;
    std::vector<int> dirty_;
    std::vector<std::pair<int, SharedBytes>> attachments_;
};

/// Reads what Outbox::write_payload wrote, receiving the separate payload when there is one.
inline Bytes read_payload(ByteReader& r, Comm& comm, int source) {
    const bool attached = r.pod<std::uint8_t>() != 0;
    const auto n = r.pod<std::uint64_t>();
    if (!attached) {
        const char* p = r.take(n);
        return Bytes(p, p + n);
    }
    Bytes b = comm.receive_payload(source);
    if (b.size() != n)
        throw CommError("payload from rank " + std::to_string(source) + " has " +
                        std::to_string(b.size()) + " bytes, " + std::to_string(n) + " announced");
    return b;
}

}  // namespace tessera::protocol
