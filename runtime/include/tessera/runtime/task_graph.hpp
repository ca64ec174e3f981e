#pragma once
// The task table that the driver builds and the scheduler runs: integer ids, struct-of-arrays,
// literal arguments packed into one byte pool. No per-task heap node, so graphs of millions of
// tasks stay within a few dozen bytes per task on rank 0.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera {

using TaskId = std::uint32_t;
using FunctionId = std::uint32_t;

/// One argument of a task: the result of another task, or a literal value in the byte pool.
class ArgRef {
public:
    static ArgRef task(TaskId id) { return ArgRef(id | kTaskBit); }
    static ArgRef literal(std::uint32_t index) { return ArgRef(index); }
    bool is_task() const { return (bits_ & kTaskBit) != 0; }
    std::uint32_t index() const { return bits_ & ~kTaskBit; }

private:
    static constexpr std::uint32_t kTaskBit = 1u << 31;
    explicit ArgRef(std::uint32_t bits) : bits_(bits) {}
    std::uint32_t bits_;
};

class TaskGraph {
public:
    /// Appends a task; its task arguments must already be in the graph, so ids are a
    /// topological order by construction.
    TaskId add_task(FunctionId fn, std::span<const ArgRef> args);
    /// Appends a literal argument value and returns its index.
    std::uint32_t add_literal(const char* data, std::size_t n);

    std::size_t size() const { return fn_.size(); }
    std::size_t num_edges() const { return args_.size(); }
    FunctionId function(TaskId t) const { return fn_[t]; }
    std::span<const ArgRef> args(TaskId t) const {
        return {args_.data() + arg_begin_[t], args_.data() + arg_begin_[t + 1]};
    }
    /// Index of the first argument slot of t; slots are numbered across the whole graph.
    std::uint32_t first_arg_slot(TaskId t) const { return arg_begin_[t]; }
    std::span<const char> literal(std::uint32_t index) const {
        return {literal_bytes_.data() + literal_begin_[index],
                literal_bytes_.data() + literal_begin_[index + 1]};
    }
    std::int32_t priority(TaskId t) const { return priority_[t]; }

    /// Runs t only on the worker of this rank (the collections use it for data that a
    /// collective phase left on a given worker).
    void restrict_to(TaskId t, int rank) { restrictions_[t] = rank; }
    /// The rank t must run on, or -1.
    int restriction(TaskId t) const {
        if (restrictions_.empty()) return -1;  // the common case costs no lookup
        auto it = restrictions_.find(t);
        return it == restrictions_.end() ? -1 : it->second;
    }

    /// Where t should run when nothing it reads decides: a position in [0, 1) over the workers
    /// (worker floor(position * workers)); idle workers do not steal it. The blocks of arrays
    /// with the same chunks get the same homes, so that elementwise work between them finds its
    /// inputs on one worker.
    void set_home(TaskId t, double position) { homes_[t] = position; }
    /// t's home position, or a negative number.
    double home(TaskId t) const {
        if (homes_.empty()) return -1;
        auto it = homes_.find(t);
        return it == homes_.end() ? -1 : it->second;
    }

    /// Priority given to tasks added from now on (higher runs first; default 0).
    void set_default_priority(std::int32_t p) { default_priority_ = p; }
    std::int32_t default_priority() const { return default_priority_; }

    /// Bytes held by the table, for the rank-0 memory-per-task figure.
    std::size_t memory_bytes() const;

private:
    std::vector<FunctionId> fn_;
    std::vector<std::uint32_t> arg_begin_{0};
    std::vector<ArgRef> args_;
    std::vector<std::uint64_t> literal_begin_{0};
    std::vector<char> literal_bytes_;
    std::vector<std::int32_t> priority_;
    std::unordered_map<TaskId, int> restrictions_;  // rare: a map, not a column
    std::unordered_map<TaskId, double> homes_;      // tasks whose inputs do not place them
    std::int32_t default_priority_ = 0;
};

class Client;

namespace detail {
/// A graph being built and run by one client. Delayed values and futures share ownership of
/// it; the client starts a new one once nobody refers to the old.
struct GraphState {
    TaskGraph graph;
    Client* client = nullptr;  // null once the client is gone
    std::uint32_t epoch = 0;   // distinguishes task keys of successive graphs
    /// Called on rank 0 as these tasks finish, once each (the ledger of a resumable output
    /// records its written blocks so); whoever adds an entry removes it when it is done waiting.
    std::unordered_map<TaskId, std::function<void()>> on_done;
};
}  // namespace detail

/// The key under which a task's result is known on every rank: graph epoch and task id.
inline std::uint64_t task_key(std::uint32_t epoch, TaskId id) {
    return (static_cast<std::uint64_t>(epoch) << 32) | id;
}

}  // namespace tessera
