#include "tessera/runtime/task_graph.hpp"

#include <limits>

#include "tessera/runtime/error.hpp"

namespace tessera {

TaskId TaskGraph::add_task(FunctionId fn, std::span<const ArgRef> args) {
    const auto id = fn_.size();
    if (id >= (1u << 31) || args_.size() + args.size() >= std::numeric_limits<std::uint32_t>::max())
        throw UsageError("a graph holds at most 2^31 tasks and 2^32 arguments");
    for (const ArgRef a : args)
        if (a.is_task() && a.index() >= id)
            throw UsageError("task argument refers to a later task");
    fn_.push_back(fn);
    args_.insert(args_.end(), args.begin(), args.end());
    arg_begin_.push_back(static_cast<std::uint32_t>(args_.size()));
    priority_.push_back(default_priority_);
    return static_cast<TaskId>(id);
}

std::uint32_t TaskGraph::add_literal(const char* data, std::size_t n) {
    literal_bytes_.insert(literal_bytes_.end(), data, data + n);
    literal_begin_.push_back(literal_bytes_.size());
    return static_cast<std::uint32_t>(literal_begin_.size() - 2);
}

std::size_t TaskGraph::memory_bytes() const {
    return fn_.capacity() * sizeof(FunctionId) + arg_begin_.capacity() * 4 +
           args_.capacity() * sizeof(ArgRef) + literal_begin_.capacity() * 8 +
           literal_bytes_.capacity() + priority_.capacity() * 4 +
           (restrictions_.size() + homes_.size()) * 32;  // hash nodes, roughly
}

}  // namespace tessera
