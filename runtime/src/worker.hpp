#pragma once
// A worker rank (ranks >= 1, or a thread on rank 0 in a one-rank job).
//
// Two threads: the progress thread (the caller of run(), the only one that touches the Comm and
// the chunk store) and an executor thread that runs one long task at a time on all the rank's
// OpenMP threads. While a kernel runs, the progress thread keeps answering peers' fetches,
// prefetching the inputs of queued tasks and taking new assignments. Tasks whose function is
// known to be short (under kInlineSeconds) run inline on the progress thread: handing a few
// microseconds of work to another thread would cost more than the work.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "chunk_store.hpp"
#include "fault_injection.hpp"
#include "protocol.hpp"
#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/task_graph.hpp"
#include "tessera/runtime/worker_group.hpp"

namespace tessera {

struct WorkerConfig {
    std::size_t memory_limit = 0;
    std::filesystem::path local_dir;
    std::string spill_tag;
    std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
    int rank = 1;
};

/// Runs one job at a time on its own thread. start() and poll() are called by the progress
/// thread only; the job runs on the executor thread, which notifies `waker` when it finishes.
class Executor {
public:
    explicit Executor(Waker& waker);
    ~Executor();
    void start(std::function<void()> job);
    /// True once the started job has finished (and the executor is idle again).
    bool poll();

private:
    void loop();
    Waker& waker_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::function<void()> job_;
    bool has_job_ = false;
    bool finished_ = false;
    bool stop_ = false;
    std::thread thread_;
};

class Worker {
public:
    static constexpr double kInlineSeconds = 100e-6;

    /// `group` is this worker's member of the worker group, for collective tasks.
    Worker(Comm& comm, WorkerGroup& group, WorkerConfig config);
    /// The progress loop: returns the exit code the driver sent with its shutdown message.
    int run();

private:
    struct Input {
        std::uint64_t key = 0;  // task inputs
        int owner = -1;
        Bytes literal;  // literal inputs
        bool is_task = false;
        bool absent = false;  // a collective's input held by another worker
    };
    struct Task {
        std::uint64_t key = 0;
        FunctionId fn = 0;
        std::uint64_t priority = 0;
        bool want_result = false;
        std::vector<Input> inputs;
        int missing = 0;
    };
    struct Outcome {
        Bytes result;
        std::string error;
        bool failed = false;
        std::int64_t start_ns = 0;
        std::int64_t end_ns = 0;
        std::uint64_t bytes_in = 0;
    };

    void handle(const Envelope& env);
    void on_assign(ByteReader& r);
    void on_release(std::uint64_t key);
    void on_fetch(int source, std::uint64_t key);
    void on_data(int source, std::uint64_t key, Bytes data);
    void on_missing(int source, std::uint64_t key);
    bool start_ready_tasks();
    /// Runs a task whose inputs are local: inline (returns true) or on the executor (false).
    bool start_task(std::uint64_t key);
    void complete(std::uint64_t key, Outcome& outcome, std::uint32_t thread);
    void fail(std::uint64_t key, const std::string& message);
    /// Sends a Heartbeat when tasks are held and the last one is heartbeat_seconds_ old.
    void maybe_heartbeat();
    void forget_inputs(const Task& task);
    std::int64_t now_ns() const;

    Comm& comm_;
    WorkerGroup& group_;
    WorkerConfig config_;
    protocol::Outbox outbox_;
    ChunkStore store_;
    Executor executor_;

    std::unordered_map<std::uint64_t, Task> tasks_;
    using ReadyEntry = std::pair<std::uint64_t, std::uint64_t>;  // (priority, key)
    std::priority_queue<ReadyEntry, std::vector<ReadyEntry>, std::greater<>> ready_;
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> waiting_for_;
    std::unordered_map<std::uint64_t, std::int64_t> fetch_started_;
    // Fetches completed since the last kDone: the scheduler learns the transfer rate from them.
    std::uint64_t fetched_bytes_ = 0;
    std::int64_t fetched_ns_ = 0;
    std::unordered_map<std::uint64_t, int> needed_;
    std::vector<double> fn_seconds_;  // moving average per function, < 0 when unknown

    bool running_ = false;
    std::uint64_t running_key_ = 0;
    Outcome running_outcome_;

    bool tracing_ = false;
    double heartbeat_seconds_ = 0;
    std::chrono::steady_clock::time_point last_heartbeat_;
    int io_retries_ = 0;
    FaultInjection faults_;
    protocol::WorkerStats stats_;
    bool shutdown_ = false;
    int exit_code_ = 0;
};

}  // namespace tessera
