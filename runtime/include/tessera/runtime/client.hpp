#pragma once
// The driver side of tessera (rank 0): it owns the graph being built and the scheduler that
// runs it on the workers. Single-threaded: call it from the thread that created it.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/runtime/comm.hpp"
#include "tessera/runtime/delayed.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera {

class Scheduler;

/// What a job did, gathered from every rank (see Client::summary).
struct RunSummary {
    struct FunctionTime {
        std::uint64_t count = 0;
        double seconds = 0.0;
    };
    std::uint64_t tasks = 0;
    std::uint64_t transfers = 0;
    std::uint64_t transfer_bytes = 0;
    std::uint64_t spills = 0;  // results moved out of memory
    std::uint64_t spill_bytes =
        0;  // bytes written to spill files (a reloaded result keeps its file)
    std::uint64_t peak_worker_memory = 0;
    std::uint64_t held_results = 0;  // results the workers hold right now
    double seconds = 0.0;
    std::map<std::string, FunctionTime> functions;

    std::string to_string() const;
};

class Client {
public:
    /// `comm` is rank 0 of a world whose other ranks run Worker::run.
    Client(Comm& comm, RuntimeOptions options);
    /// Tells the workers to exit with exit_code(), writing the trace and summary first.
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// The client of this thread; throws UsageError when there is none.
    static Client& current();

    /// Runs several lazy values at once, sharing their common tasks; returns their values.
    template <class... T>
    std::tuple<T...> compute(const Delayed<T>&... values) {
        const TaskId ids[] = {values.id()...};
        auto g = same_graph(values.graph_state()...);
        auto bytes = detail::compute(*g, ids);
        return decode_all<T...>(bytes, std::index_sequence_for<T...>{});
    }

    /// Results of many futures, in order (Client.gather in Dask).
    template <class T>
    std::vector<T> gather(const std::vector<Future<T>>& futures) {
        std::vector<T> out;
        if (futures.empty()) return out;
        std::vector<TaskId> ids;
        ids.reserve(futures.size());
        for (const auto& f : futures) {
            if (f.graph_state() != futures.front().graph_state())
                throw UsageError("gather: futures come from different graphs");
            ids.push_back(f.id());
        }
        const auto bytes = detail::gather(*futures.front().graph_state(), ids);
        out.reserve(bytes.size());
        for (const auto& b : bytes) out.push_back(decode<T>(b.data(), b.size()));
        return out;
    }

    /// Writes the task graph that `value` needs as Graphviz DOT (like Dask's visualize).
    template <class T>
    void write_dot(const std::string& path, const Delayed<T>& value) {
        const TaskId target = value.id();
        write_dot(path, *value.graph_state(), std::span<const TaskId>(&target, 1));
    }
    /// The same for the tasks several targets of a graph need.
    void write_dot(const std::string& path, detail::GraphState& g, std::span<const TaskId> targets);

    /// Sets what the workers exit with when the client is destroyed (0 by default).
    void set_exit_code(int code) { exit_code_ = code; }
    int exit_code() const { return exit_code_; }

    /// Collects counters (and the trace, if enabled) from every worker. Collective over the
    /// workers: it waits for each to answer.
    RunSummary summary();
    /// Writes the Chrome/Perfetto trace of everything run so far (chrome://tracing,
    /// ui.perfetto.dev).
    void write_trace(const std::string& path);
    /// Bytes of rank-0 state per task of the current graph (table plus scheduler arrays).
    double memory_per_task() const;

    int num_workers() const;
    /// True when the workers are MPI processes, false when they are threads of this process.
    bool workers_are_processes() const;
    const RuntimeOptions& options() const { return options_; }
    Scheduler& scheduler() { return *scheduler_; }

private:
    template <class G, class... Gs>
    static const G& same_graph(const G& first, const Gs&... rest) {
        if (((rest.get() != first.get()) || ...))
            throw UsageError("compute: values come from different graphs");
        return first;
    }
    template <class... T, std::size_t... I>
    static std::tuple<T...> decode_all(const std::vector<Bytes>& b, std::index_sequence<I...>) {
        return std::tuple<T...>{decode<T>(b[I].data(), b[I].size())...};
    }

    std::unique_ptr<Scheduler> scheduler_;
    RuntimeOptions options_;
    Client* previous_current_;
    int exit_code_ = 0;
};

/// compute(a, b, ...) on the current client, like dask.compute.
template <class... T>
std::tuple<T...> compute(const Delayed<T>&... values) {
    return Client::current().compute(values...);
}

/// Yields futures in the order they finish (distributed.as_completed).
template <class T>
class AsCompleted {
public:
    explicit AsCompleted(std::vector<Future<T>> futures) : pending_(std::move(futures)) {}
    /// The next finished future, or nothing when all have been returned.
    std::optional<Future<T>> next() {
        if (pending_.empty()) return std::nullopt;
        std::vector<TaskId> ids;
        ids.reserve(pending_.size());
        for (const auto& f : pending_) ids.push_back(f.id());
        const std::size_t i = detail::wait_any(*pending_.front().graph_state(), ids);
        Future<T> f = pending_[i];
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
        return f;
    }

private:
    std::vector<Future<T>> pending_;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures) {
    return AsCompleted<T>(std::move(futures));
}

/// Gives tasks built in its scope a priority (higher first; default 0), like dask's priority=.
class PriorityScope {
public:
    explicit PriorityScope(std::int32_t priority);
    ~PriorityScope();
    PriorityScope(const PriorityScope&) = delete;
    PriorityScope& operator=(const PriorityScope&) = delete;

private:
    std::shared_ptr<detail::GraphState> graph_;
    std::int32_t previous_;
};

}  // namespace tessera
