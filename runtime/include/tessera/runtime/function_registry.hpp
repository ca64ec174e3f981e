#pragma once
// Functions that tasks may call, registered by name at static initialisation so that every rank
// of the same binary knows them. Ids are assigned by name order when the runtime starts, so
// they agree across ranks whatever the static initialisation order.
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera {

class WorkerGroup;

/// One encoded argument as the callee sees it.
struct ArgView {
    const char* data;
    std::size_t size;
    /// The stored result these bytes are, when they are one (task inputs on a worker): lets a
    /// chunk kernel read a block in place instead of copying it.
    const SharedBytes* owner = nullptr;
};

/// Where a worker runs a function.
enum class Placement : std::uint8_t {
    kAnyThread,       // the executor thread (or inline when it is known to be short)
    kProgressThread,  // always on the thread that does MPI (HDF5 with MPI-IO)
    kCollective,      // on every worker at once, on the progress thread, in the same order
                      // everywhere (opening and closing parallel files, exchanging blocks), with
                      // the worker's member of the WorkerGroup; each worker keeps its own copy of
                      // the result. A worker passes the inputs it holds; inputs held by other
                      // workers come as empty views (never fetched)
};

/// The body of a collective function: the worker's member of the group, the arguments, the result.
using CollectiveFn = std::function<void(WorkerGroup&, std::span<const ArgView>, Bytes&)>;

struct FunctionInfo {
    std::string name;
    std::vector<std::string> arg_types;  // demangled, for build-time checks and messages
    std::string result_type;
    /// Decodes the arguments, calls the function and appends the encoded result to `out`.
    std::function<void(std::span<const ArgView> args, Bytes& out)> invoke;
    /// Instead of `invoke`, for Placement::kCollective.
    CollectiveFn invoke_collective;
    /// Whether the function takes any number of arguments (raw functions of the collections).
    bool variadic = false;
    Placement placement = Placement::kAnyThread;
    FunctionId id = 0;
};

class FunctionRegistry {
public:
    static FunctionRegistry& instance();

    /// Registers a function; throws UsageError on a duplicate name or after freeze().
    FunctionInfo& add(FunctionInfo info);
    /// Assigns ids in name order. Called once by the runtime before any graph is built.
    void freeze();
    bool frozen() const { return frozen_; }

    const FunctionInfo& get(FunctionId id) const { return *by_id_.at(id); }
    /// Throws UsageError naming the closest registered names when `name` is unknown.
    const FunctionInfo& find(std::string_view name) const;
    std::size_t size() const { return entries_.size(); }

private:
    std::deque<FunctionInfo> entries_;  // deque: stable addresses for handles
    std::unordered_map<std::string, FunctionInfo*> by_name_;
    std::vector<FunctionInfo*> by_id_;
    bool frozen_ = false;
};

/// Registers a function that sees its encoded arguments as they are: the collections (arrays)
/// use these for chunk kernels with any number of inputs. Call at namespace scope.
const FunctionInfo& register_raw_function(std::string name,
                                          std::function<void(std::span<const ArgView>, Bytes&)> fn,
                                          Placement placement = Placement::kAnyThread);

/// Registers a collective function (Placement::kCollective), which gets the worker group.
const FunctionInfo& register_collective_function(std::string name, CollectiveFn fn);

/// Up to `count` registered names closest to `name` by edit distance, for "did you mean".
std::vector<std::string> closest_names(std::string_view name,
                                       const std::vector<std::string>& candidates,
                                       std::size_t count = 3);

}  // namespace tessera
