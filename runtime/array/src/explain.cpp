// Plans without running: the array layers a computation goes through, the tasks they become
// after fusion, and an estimate of the memory each worker needs.
#include <algorithm>
#include <functional>
#include <iomanip>
#include <set>
#include <sstream>

#include "array_node.hpp"
#include "materialize.hpp"
#include "tessera/kernels/reduction.hpp"
#include "tessera/runtime/client.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera {

namespace {

using detail::ArrayNode;
using Kind = ArrayNode::Kind;

std::string operation_name(const ArrayNode& n) {
    switch (n.kind) {
        case Kind::kCreate: {
            const auto& p = std::get<detail::CreateParams>(n.params);
            switch (p.kind) {
                case detail::CreateParams::Kind::kFill:
                    return n.shape.empty() ? "scalar" : "full";
                case detail::CreateParams::Kind::kArange:
                    return "arange";
                case detail::CreateParams::Kind::kLinspace:
                    return "linspace";
                case detail::CreateParams::Kind::kEye:
                    return "eye";
                case detail::CreateParams::Kind::kRandom:
                    return "random";
            }
            return "create";
        }
        case Kind::kFromBuffer:
            return "from_buffer";
        case Kind::kElementwise:
            return kernels::op_name(std::get<detail::ElementwiseParams>(n.params).op);
        case Kind::kReduce: {
            const auto& spec = std::get<detail::ReduceParams>(n.params).spec;
            return std::string(spec.skip_nan ? "nan" : "") + kernels::reduction_name(spec.op);
        }
        case Kind::kTranspose:
            return "transpose";
        case Kind::kSlice:
            return "getitem";
        case Kind::kConcatenate:
            return "concatenate";
        case Kind::kRelabel:
            return "expand/squeeze";
        case Kind::kBroadcast:
            return "broadcast_to";
        case Kind::kReshape:
            return "reshape";
        case Kind::kRechunk:
            return "rechunk";
        case Kind::kMatmul:
            return std::get<detail::MatmulParams>(n.params).gram ? "matmul a @ a.T" : "matmul";
        case Kind::kFromHdf5: {
            const auto& p = std::get<detail::FromHdf5Params>(n.params);
            return "from_hdf5 " + p.dataset;
        }
        case Kind::kMapBlocks:
            return "map_blocks " + std::get<detail::MapBlocksParams>(n.params).function.name();
        case Kind::kOverlap:
            return "map_overlap " + std::get<detail::OverlapParams>(n.params).function.name();
        case Kind::kPersisted:
            return "persisted";
        case Kind::kLinalg: {
            const auto& p = std::get<detail::LinalgParams>(n.params);
            using Op = detail::LinalgParams::Op;
            switch (p.op) {
                case Op::kQr:
                    return p.part == 0 ? "linalg.tsqr q" : "linalg.tsqr r";
                case Op::kSvd:
                    return p.part == 0   ? "linalg.svd u"
                           : p.part == 1 ? "linalg.svd s"
                                         : "linalg.svd vt";
                case Op::kCholesky:
                    return "linalg.cholesky";
                case Op::kTriangularSolve:
                    return p.transposed ? "linalg.solve l.T x = b" : "linalg.solve l x = b";
                case Op::kLuSolve:
                    return "linalg.solve (LU)";
                case Op::kInverse:
                    return "linalg.inv";
                case Op::kLeastSquares:
                    return p.part == 0   ? "linalg.lstsq x"
                           : p.part == 1 ? "linalg.lstsq rank"
                                         : "linalg.lstsq s";
            }
            return "linalg";
        }
    }
    return "?";
}

std::int64_t block_bytes(const ArrayNode& n, std::int64_t flat) {
    const Shape s = detail::block_shape(n.chunks, detail::block_coords(n.chunks, flat));
    return kernels::shape_size(s) * static_cast<std::int64_t>(kernels::dtype_size(n.dtype));
}

}  // namespace

Plan explain(const std::vector<Array>& arrays, int workers) {
    auto g = detail::building_graph();
    detail::Materializer m(*g);
    const std::vector<TaskId> targets = m.targets(arrays);

    // The tasks that run, in the scheduler's order (depth-first post-order from the targets).
    const TaskGraph& graph = g->graph;
    std::vector<TaskId> order;
    std::unordered_map<TaskId, std::int64_t> consumers;
    std::set<TaskId> visited;
    for (TaskId target : targets) {
        if (!visited.insert(target).second) continue;
        std::vector<std::pair<TaskId, std::size_t>> stack{{target, 0}};
        while (!stack.empty()) {
            auto& [t, next] = stack.back();
            const auto args = graph.args(t);
            bool descended = false;
            while (next < args.size()) {
                const ArgRef a = args[next++];
                if (!a.is_task()) continue;
                ++consumers[a.index()];
                if (visited.insert(a.index()).second) {
                    stack.emplace_back(a.index(), 0);
                    descended = true;
                    break;
                }
            }
            if (descended) continue;
            order.push_back(t);
            stack.pop_back();
        }
    }
    std::unordered_map<const ArrayNode*, std::int64_t> tasks_per_node;
    for (TaskId t : order)
        if (const ArrayNode* owner = m.owner_of(t)) ++tasks_per_node[owner];

    Plan plan;
    plan.workers = std::max(workers, 1);
    plan.tasks = static_cast<std::int64_t>(order.size());
    // Layers in dependency order (inputs first), each once.
    std::set<const ArrayNode*> seen;
    std::unordered_map<TaskId, std::int64_t> output_bytes;  // of the tasks that make whole blocks
    std::function<void(const detail::NodePtr&)> visit = [&](const detail::NodePtr& node) {
        if (!seen.insert(node.get()).second) return;
        for (const auto& in : node->inputs) visit(in);
        PlanLayer layer;
        layer.operation = operation_name(*node);
        layer.shape = node->shape;
        layer.dtype = node->dtype;
        layer.blocks = detail::grid_size(node->chunks);
        for (const auto& sizes : node->chunks)
            layer.chunk.push_back(sizes.empty() ? 0
                                                : *std::max_element(sizes.begin(), sizes.end()));
        layer.bytes = kernels::shape_size(node->shape) *
                      static_cast<std::int64_t>(kernels::dtype_size(node->dtype));
        if (auto it = tasks_per_node.find(node.get()); it != tasks_per_node.end()) {
            layer.tasks = it->second;
            const auto& ids = m.blocks(node);
            for (std::size_t b = 0; b < ids.size(); ++b)
                output_bytes[ids[b]] = block_bytes(*node, static_cast<std::int64_t>(b));
        }
        plan.layers.push_back(std::move(layer));
    };
    for (const auto& a : arrays) visit(a.node());

    // Run the tasks in that order on one imaginary worker, keeping each result until its last
    // consumer ran.
    std::int64_t live = 0, peak = 0, largest_task = 0;
    for (TaskId t : order) {
        auto bytes_of = [&](TaskId id) {
            auto it = output_bytes.find(id);
            return it == output_bytes.end() ? std::int64_t{0} : it->second;
        };
        std::int64_t footprint = bytes_of(t);
        for (const ArgRef a : graph.args(t))
            if (a.is_task()) footprint += bytes_of(a.index());
        largest_task = std::max(largest_task, footprint);
        live += bytes_of(t);
        peak = std::max(peak, live);
        for (const ArgRef a : graph.args(t))
            if (a.is_task() && --consumers[a.index()] == 0) live -= bytes_of(a.index());
    }
    plan.peak_bytes_per_worker = peak / plan.workers + largest_task;
    return plan;
}

void write_dot(const std::string& path, const std::vector<Array>& arrays) {
    auto g = detail::building_graph();
    detail::Materializer m(*g);
    const std::vector<TaskId> targets = m.targets(arrays);
    Client::current().write_dot(path, *g, targets);
}

std::string Plan::to_string() const {
    using kernels::shape_text;
    std::ostringstream os;
    os << "  " << std::left << std::setw(24) << "layer" << std::setw(18) << "shape" << std::setw(9)
       << "dtype" << std::setw(16) << "chunk" << std::right << std::setw(8) << "blocks"
       << std::setw(8) << "tasks" << std::setw(12) << "bytes" << '\n';
    for (const auto& l : layers) {
        std::string op = l.operation.size() > 23 ? l.operation.substr(0, 22) + "~" : l.operation;
        os << "  " << std::left << std::setw(24) << op << std::setw(18) << shape_text(l.shape)
           << std::setw(9) << kernels::dtype_name(l.dtype) << std::setw(16) << shape_text(l.chunk)
           << std::right << std::setw(8) << l.blocks << std::setw(8)
           << (l.tasks > 0 ? std::to_string(l.tasks) : std::string("fused")) << std::setw(12)
           << format_bytes(static_cast<double>(l.bytes)) << '\n';
    }
    os << "  " << tasks << " tasks on " << workers << " worker" << (workers == 1 ? "" : "s")
       << "; estimated peak memory per worker: "
       << format_bytes(static_cast<double>(peak_bytes_per_worker));
    return os.str();
}

}  // namespace tessera
