#pragma once
// Materializing: array nodes become the chunk tasks of a graph at compute time (the second of the
// collection's three layers: graph building in array.cpp, materializing here and in the build_*
// functions beside each operation's task bodies, the task bodies on the workers).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "array_node.hpp"
#include "tessera/runtime/codec.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/task_graph.hpp"

namespace tessera::detail {

/// Turns array nodes into chunk tasks of the current graph, each node once.
class Materializer {
public:
    explicit Materializer(GraphState& graph) : g_(graph) {}
    /// Task ids of the node's blocks, row-major over its chunk grid.
    const std::vector<TaskId>& blocks(const NodePtr& node);
    /// Closes the files that `targets` read (a close task per file, after the readers they
    /// need; readers they do not need are left out and never run): these must also run for the
    /// targets to be complete.
    std::vector<TaskId> close_inputs(const std::vector<TaskId>& targets);
    /// What computing `arrays` runs to: the blocks of each array in order (row-major), then the
    /// closing of the files they read.
    std::vector<TaskId> targets(const std::vector<Array>& arrays);
    /// A task of `function` (a handle of array_tasks.hpp or a block function's) with its spec
    /// first, then the inputs' results.
    TaskId add(const FunctionInfo& function, const Bytes& spec, const std::vector<TaskId>& inputs);
    /// Block b of `blocks` that nothing it reads places (created, read from a file) gets the
    /// home (b + 0.5) / blocks: blocks b of arrays with the same chunks meet on one worker.
    void set_block_home(TaskId t, std::int64_t b, std::int64_t blocks);
    /// The node a task was created for (null for tasks this materializer did not create). Nodes
    /// fused into their consumers own no tasks.
    const ArrayNode* owner_of(TaskId task) const;

private:
    std::vector<TaskId> build(const NodePtr& node);
    std::vector<TaskId> build_elementwise(const NodePtr& node);
    std::vector<TaskId> build_reduce(const NodePtr& node);
    std::vector<TaskId> build_matmul(const NodePtr& node);
    std::vector<TaskId> build_from_hdf5(const NodePtr& node);
    std::vector<TaskId> build_map_blocks(const NodePtr& node);
    std::vector<TaskId> build_overlap(const NodePtr& node);
    std::vector<TaskId> build_rechunk(const NodePtr& node);
    std::vector<TaskId> build_linalg(const NodePtr& node);  // linalg.cpp
    /// A file a from_hdf5 node reads: opened once (collective), closed after its readers.
    struct InputFile {
        std::uint64_t token = 0;
        TaskId opened = 0;
        std::vector<TaskId> readers;
        bool closed = false;
    };
    InputFile& input_file(const NodePtr& node);

    GraphState& g_;
    // Node -> its blocks; references into it stay valid as it grows.
    std::unordered_map<const ArrayNode*, std::vector<TaskId>> done_;
    std::unordered_map<const ArrayNode*, InputFile> input_files_;
    /// The tasks shared by the results of one factorisation (LinalgParams::family).
    std::unordered_map<const void*, std::vector<TaskId>> linalg_families_;
    /// Per built node, in the order builds finished, the task ids its build created (inputs
    /// built on the way finished earlier, so the first range holding a task is its owner's).
    struct BuiltRange {
        TaskId begin, end;
        const ArrayNode* node;
    };
    std::vector<BuiltRange> built_;
};

}  // namespace tessera::detail
