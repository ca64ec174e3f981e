#pragma once
// The messages between ranks. Every MPI message is a batch of records, each an Op byte followed
// by its fields; a progress loop appends records to a per-destination Outbox and flushes once
// per iteration, so a burst of tiny tasks costs a few messages, not one per task.
// Chunk payloads are copied raw into the batch, never through an archive.
#include <cstdint>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera::protocol {
struct TaskEvent;
struct TransferEvent;
}  // namespace tessera::protocol

namespace tessera {
/// Events travel as raw arrays: they are plain data of fixed layout.
template <class E>
requires std::is_same_v<E, protocol::TaskEvent> || std::is_same_v<E, protocol::TransferEvent>
struct Codec<std::vector<E>> {
    static void encode(const std::vector<E>& v, ByteWriter& w) {
        w.pod<std::uint64_t>(v.size());
        w.write(v.data(), v.size() * sizeof(E));
    }
    static std::vector<E> decode(ByteReader& r) {
        const auto n = r.pod<std::uint64_t>();
        if (n > r.remaining() / sizeof(E)) throw CommError("truncated event list");
        std::vector<E> v(n);
        r.read(v.data(), n * sizeof(E));
        return v;
    }
};
}  // namespace tessera

namespace tessera::protocol {

enum class Op : std::uint8_t {
    // scheduler -> worker
    kAssign = 1,  // Assign, then its AssignArgs
    kRelease,     // Release
    kConfigure,   // Configure
    kCollect,     // Collect: reply with kStats
    kShutdown,    // Shutdown
    // worker -> scheduler
    kDone,       // Done, then the result as a payload when it carries one
    kFailed,     // Failed
    kStats,      // WorkerStats
    kHeartbeat,  // Heartbeat
    // any rank -> worker holding data, and the reply
    kFetch,    // Fetch
    kData,     // Data, then the bytes as a payload
    kMissing,  // Missing
};

// The records. Each is a struct that names its Op and lists its fields once (a Codec record):
// put() writes the Op and the fields, take() reads the fields after the Op was read.

/// A task for a worker: followed by `nargs` AssignArg records.
struct Assign {
    static constexpr Op kOp = Op::kAssign;
    std::uint64_t key = 0;
    FunctionId fn = 0;
    std::uint64_t priority = 0;
    std::uint8_t want_result = 0;  // send the result to the scheduler with kDone
    std::uint32_t nargs = 0;
    static auto fields(auto& s) {
        return std::tie(s.key, s.fn, s.priority, s.want_result, s.nargs);
    }
};

enum class ArgKind : std::uint8_t { kLiteral = 0, kTask = 1 };

/// One argument of an Assign: a literal's bytes, or a task's result and the rank that holds it
/// (for a collective, each worker is told its own rank for the inputs it holds).
struct AssignArg {
    ArgKind kind = ArgKind::kLiteral;
    std::uint64_t key = 0;          // kTask
    std::int32_t owner = -1;        // kTask
    std::span<const char> literal;  // kLiteral: points into the graph, or into the batch
    void encode(ByteWriter& w) const {
        w.pod(kind);
        if (kind == ArgKind::kTask) {
            w.pod(key);
            w.pod(owner);
        } else {
            w.pod<std::uint64_t>(literal.size());
            w.write(literal.data(), literal.size());
        }
    }
    static AssignArg decode(ByteReader& r) {
        AssignArg a;
        a.kind = r.pod<ArgKind>();
        if (a.kind == ArgKind::kTask) {
            a.key = r.pod<std::uint64_t>();
            a.owner = r.pod<std::int32_t>();
        } else {
            const auto n = r.pod<std::uint64_t>();
            a.literal = {r.take(n), n};
        }
        return a;
    }
};

/// A record that is a result's key alone.
template <Op O>
struct KeyRecord {
    static constexpr Op kOp = O;
    std::uint64_t key = 0;
    static auto fields(auto& s) { return std::tie(s.key); }
};

/// No task needs this result any more.
using Release = KeyRecord<Op::kRelease>;

struct Configure {
    static constexpr Op kOp = Op::kConfigure;
    std::uint8_t tracing = 0;      // record task and transfer events for the trace and report
    double heartbeat_seconds = 0;  // while holding tasks, send a Heartbeat this often (0: never)
    std::int32_t io_retries = 0;   // tries again of a task that fails with an I/O error
    static auto fields(auto& s) { return std::tie(s.tracing, s.heartbeat_seconds, s.io_retries); }
};

/// "Still here" from a worker that holds tasks; any message from it counts the same.
struct Heartbeat {
    static constexpr Op kOp = Op::kHeartbeat;
    static auto fields(auto&) { return std::tie(); }
};

struct Collect {
    static constexpr Op kOp = Op::kCollect;
    static auto fields(auto&) { return std::tie(); }
};

struct Shutdown {
    static constexpr Op kOp = Op::kShutdown;
    std::int32_t exit_code = 0;
    /// End the process at once (a drained job), abandoning running tasks and keeping resumable
    /// outputs, instead of finishing what runs and returning from Worker::run.
    std::uint8_t now = 0;
    static auto fields(auto& s) { return std::tie(s.exit_code, s.now); }
};

/// A finished task: followed by its result (Outbox::write_payload) when has_result is set.
struct Done {
    static constexpr Op kOp = Op::kDone;
    std::uint64_t key = 0;
    std::uint64_t nbytes = 0;  // of the result
    double seconds = 0;
    std::uint64_t fetched_bytes = 0;  // fetched by this worker since its last Done, and how long
    std::int64_t fetched_ns = 0;      // that took: the scheduler learns the transfer rate
    std::uint8_t has_result = 0;
    static auto fields(auto& s) {
        return std::tie(s.key, s.nbytes, s.seconds, s.fetched_bytes, s.fetched_ns, s.has_result);
    }
};

struct Failed {
    static constexpr Op kOp = Op::kFailed;
    std::uint64_t key = 0;
    std::string message;
    static auto fields(auto& s) { return std::tie(s.key, s.message); }
};

/// Asks the holder of a result for it.
using Fetch = KeyRecord<Op::kFetch>;
/// The reply to a Fetch: followed by the result (Outbox::write_payload).
using Data = KeyRecord<Op::kData>;
/// The reply to a Fetch of a result this worker does not hold.
using Missing = KeyRecord<Op::kMissing>;

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

/// A worker's counters, and the events recorded since the last Collect.
struct WorkerStats {
    static constexpr Op kOp = Op::kStats;
    std::uint64_t tasks = 0;
    std::uint64_t transfers = 0;
    std::uint64_t transfer_bytes = 0;
    std::uint64_t spills = 0;
    std::uint64_t spill_bytes = 0;
    std::uint64_t peak_memory = 0;
    std::uint64_t held_results = 0;  // results in the store now (memory or spilled)
    std::vector<TaskEvent> tasks_run;
    std::vector<TransferEvent> transfers_in;
    static auto fields(auto& s) {
        return std::tie(s.tasks, s.transfers, s.transfer_bytes, s.spills, s.spill_bytes,
                        s.peak_memory, s.held_results, s.tasks_run, s.transfers_in);
    }
};

/// Writes a record: its Op, then its fields.
template <class R>
void put(ByteWriter& w, const R& record) {
    w.pod(R::kOp);
    Codec<R>::encode(record, w);
}
/// Reads a record's fields (its Op was read already).
template <class R>
R take(ByteReader& r) {
    return Codec<R>::decode(r);
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
        w.pod<std::uint64_t>(data->size());
        if (attach)
            attachments_.emplace_back(dest, std::move(data));
        else
            w.write(data->data(), data->size());
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

    static constexpr std::size_t kAttachBytes = std::size_t{64} << 10;

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
