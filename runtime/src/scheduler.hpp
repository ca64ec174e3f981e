#pragma once
// The scheduler on rank 0. It runs the driver's task graphs on the workers:
//  - order: a static priority per task, the post-order of a depth-first walk from the requested
//    results (dask.order's "finish small goals first, free memory early"), after user priorities;
//  - placement: a ready task goes to the worker holding most of its input bytes, ties to the
//    least loaded; root tasks (no inputs) are withheld in one queue and handed out only when a
//    worker has a free slot, in priority order, so consecutive roots land together;
//  - bounded queues: a worker holds at most capacity() assigned tasks (the running one plus a
//    prefetch window sized from measured task durations); the rest wait here;
//  - rebalancing: a worker with free slots and nothing queued takes the lowest-priority task
//    queued for a busy worker when moving its inputs is cheaper than waiting;
//  - memory: a result is released on its worker as soon as no submitted task needs it and no
//    future or pending compute holds it.
// Data moves worker to worker; rank 0 only receives the final results the driver asked for.
// Single-threaded: only the driver thread calls it; it makes progress inside those calls.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "progress.hpp"
#include "protocol.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/options.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera {

class Scheduler {
public:
    Scheduler(Comm& comm, RuntimeOptions options);

    /// The graph new calls go into; a fresh one once nobody refers to the last and nothing runs.
    std::shared_ptr<detail::GraphState> building_graph(Client* client);

    /// Schedules `targets` and everything they need that is not computed or running yet.
    void submit(detail::GraphState& g, std::span<const TaskId> targets, bool want_results);
    /// submit + wait + results, then releases what only this computation needed.
    std::vector<Bytes> compute(detail::GraphState& g, std::span<const TaskId> targets);
    /// Waits for one task and fetches its result from the worker holding it.
    Bytes result(detail::GraphState& g, TaskId t);
    /// Results of many tasks, fetched in one pass (Client.gather).
    std::vector<Bytes> gather(detail::GraphState& g, std::span<const TaskId> ids);
    bool finished(detail::GraphState& g, TaskId t) const;
    /// Index in `ids` of a finished task (done or failed), waiting for one if none is.
    std::size_t wait_any(detail::GraphState& g, std::span<const TaskId> ids);

    void hold(detail::GraphState& g, TaskId t);
    void release_hold(detail::GraphState& g, TaskId t);

    /// Values built on the current graph can no longer reach this scheduler.
    void detach() { graph_->client = nullptr; }
    /// Waits for running tasks, then tells every worker to exit with `code`.
    void shutdown(int code);
    /// Asks every worker for its counters and trace events and waits for the answers.
    RunSummary collect();
    void write_trace(const std::string& path);
    /// The self-contained HTML report (report.cpp).
    void write_report(const std::string& path);
    void write_dot(const std::string& path, detail::GraphState& g,
                   std::span<const TaskId> targets) const;

    int num_workers() const { return static_cast<int>(workers_.size()); }
    bool workers_are_processes() const { return comm_.spans_processes(); }
    double memory_per_task() const;

private:
    enum class State : std::uint8_t {
        kIdle,        // built, not submitted (or reset after a failed computation)
        kVisiting,    // on the submission walk's stack
        kWaiting,     // submitted, inputs not all computed
        kReady,       // queued here for a worker
        kProcessing,  // assigned to a worker
        kMemory,      // result held by owner_
        kReleased,    // result freed; computing it again means running it again
        kErred,
    };
    static constexpr std::uint8_t kLinked = 1;      // edges in the dependents lists
    static constexpr std::uint8_t kWantResult = 2;  // ship the result to rank 0 with kDone
    static constexpr std::uint8_t kFetching = 4;    // kFetch sent for the result
    static constexpr std::uint8_t kCollective = 8;  // runs on every worker (Placement::kCollective)
    static constexpr std::int32_t kEverywhere = -2;  // owner_ of a collective's result
    static constexpr std::uint32_t kNoEdge = 0xffffffffu;

    struct WorkerSlot {
        int rank = 0;
        std::uint32_t in_flight = 0;
        double busy_seconds = 0;  // expected run time of the tasks in flight
        std::set<std::pair<std::uint64_t, TaskId>> queue;  // (order, task), assigned here next
    };
    struct Failure {
        std::string function;
        TaskId task;
        int rank;
        std::string message;
    };

    void check_graph(const detail::GraphState& g) const;
    void grow_to_graph();
    void reset_graph();
    void make_ready(TaskId t);
    void finish_walk(TaskId t);
    void dispatch();
    bool fill(WorkerSlot& w);
    bool steal_for(WorkerSlot& w);
    void assign(WorkerSlot& w, TaskId t);
    /// A collective goes to every worker at once, whatever their queues hold.
    void assign_everywhere(TaskId t);
    /// A worker's report on a collective; true once every worker has reported.
    bool collective_reported(int rank, TaskId t);
    /// Sends a record to the holder of t's result, or to every worker for a collective's.
    template <class F>
    void to_holders(TaskId t, F&& write);
    /// Sends `record` to every worker but rank `except` (0: none is left out), and flushes.
    template <class R>
    void send_to_workers(const R& record, int except = 0);
    /// What t should take: recent tasks of its function, else recent tasks of any function,
    /// else (nothing measured yet) long enough that only two go to a worker at once.
    double expected_seconds(TaskId t) const;
    /// A worker fetched `bytes` in `ns` (summed over fetches) since its last report.
    void learn_transfer_rate(std::uint64_t bytes, std::int64_t ns);
    /// t ran, failed or was reported by its worker: it no longer occupies w.
    void unassign(WorkerSlot& w, TaskId t);

    /// One round: receive and handle what arrived, dispatch, flush. Sleeps (backs off) if
    /// nothing happened and `may_wait`.
    void progress(bool may_wait);
    /// Ends the job when a worker holding tasks has been silent for the heartbeat timeout.
    void check_heartbeats();
    /// A drain was asked for (a signal) or the walltime is near: true while no task may start.
    bool draining();
    /// How long before the walltime the last task should end.
    double walltime_margin() const;
    /// Ends a drained job on every rank: workers abandon what runs, resumable outputs are kept.
    [[noreturn]] void end_drained();
    /// What `rank` holds, for messages: "array.add (3), io.h5_write".
    void handle(const Envelope& env);
    std::string tasks_held_by(int rank) const;
    void on_done(int rank, std::uint64_t key, std::uint64_t nbytes, double seconds,
                 std::optional<Bytes> result);
    void on_failed(int rank, std::uint64_t key, std::string message);
    void mark_erred(TaskId t, const Failure& failure);
    void maybe_release(TaskId t);
    void request_result(TaskId t);
    void throw_failure(TaskId t) const;
    bool is_current_key(std::uint64_t key) const { return (key >> 32) == graph_->epoch; }

    Comm& comm_;
    RuntimeOptions options_;
    protocol::Outbox outbox_;
    IdleBackoff backoff_;
    ProgressDisplay progress_display_;
    std::shared_ptr<detail::GraphState> graph_;
    std::uint32_t next_epoch_ = 1;

    // Per task of graph_ (struct of arrays, indexed by TaskId).
    std::vector<State> state_;
    std::vector<std::uint8_t> flags_;
    std::vector<std::uint32_t> waiting_;     // inputs not computed yet
    std::vector<std::uint32_t> dependents_;  // submitted dependents not finished yet
    std::vector<std::uint32_t> holds_;       // futures and computes keeping the result
    std::vector<std::int32_t> owner_;
    std::vector<std::uint64_t> nbytes_;
    std::vector<std::uint64_t> order_;
    std::vector<float> estimate_;            // expected_seconds() when assigned
    std::vector<std::uint32_t> first_edge_;  // dependents list head (an argument slot)
    // Per argument slot (edge) of graph_.
    std::vector<std::uint32_t> next_edge_;
    std::vector<TaskId> edge_task_;

    std::uint64_t next_order_ = 0;
    using QueueEntry = std::pair<std::uint64_t, TaskId>;
    std::priority_queue<QueueEntry, std::vector<QueueEntry>, std::greater<>> roots_;
    std::vector<WorkerSlot> workers_;
    std::uint32_t in_flight_ = 0;
    double mean_task_seconds_ = -1.0;       // recent tasks of every function
    std::vector<double> function_seconds_;  // recent tasks per function (-1: none yet)
    // Worker-to-worker transfers: 2 GB/s until a few MiB have been measured, then measured.
    static constexpr double kRateAfterBytes = 4 << 20;
    double transfer_rate_ = 2e9;  // bytes per second
    double fetched_bytes_ = 0, fetched_seconds_ = 0;

    std::unordered_map<TaskId, std::uint32_t> collective_pending_;  // workers yet to report
    std::unordered_map<TaskId, Bytes> results_;
    std::unordered_map<TaskId, Failure> failures_;

    // Progress and summary.
    std::uint64_t submitted_ = 0;
    std::uint64_t finished_ = 0;
    std::vector<RunSummary::FunctionTime> function_time_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    int stats_pending_ = 0;
    std::vector<protocol::WorkerStats> worker_stats_;  // per worker, events accumulated

    // Resilience (docs/architecture.md, "Resilience").
    using Clock = std::chrono::steady_clock;
    std::vector<Clock::time_point> last_heard_;  // per worker: its last message
    Clock::time_point last_heartbeat_check_ = Clock::now();
    std::optional<Clock::time_point> walltime_;  // the job's end
    std::string drain_cause_;                    // why no task may start, once draining
    bool ending_ = false;                        // shutdown(): no task may start
    Clock::time_point drain_until_;              // a drain waits this long for running tasks
};

}  // namespace tessera
