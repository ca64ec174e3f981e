// The scheduler's outputs for people: the Chrome/Perfetto trace, the Graphviz graph and the
// end-of-run summary.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scheduler.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera {

namespace {

std::ofstream open_output(const std::string& path, const char* what) {
    std::ofstream out(path);
    if (!out) throw Error(std::string("cannot write the ") + what + " to " + path);
    return out;
}

}  // namespace

void Scheduler::write_trace(const std::string& path) {
    collect();
    using nlohmann::json;
    auto& registry = FunctionRegistry::instance();
    json events = json::array();
    auto meta = [&](const char* name, int pid, int tid, const std::string& value) {
        events.push_back(
            {{"ph", "M"}, {"name", name}, {"pid", pid}, {"tid", tid}, {"args", {{"name", value}}}});
    };
    meta("process_name", 0, 0, "rank 0 (scheduler)");
    std::uint64_t flow_id = 0;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        const int rank = workers_[i].rank;
        meta("process_name", rank, 0, "rank " + std::to_string(rank) + " (worker)");
        meta("thread_name", rank, 0, "executor");
        meta("thread_name", rank, 1, "progress (short tasks inline)");
        meta("thread_name", rank, 2, "transfers");
        for (const auto& e : worker_stats_[i].tasks_run) {
            events.push_back({{"ph", "X"},
                              {"name", registry.get(e.fn).name},
                              {"cat", "task"},
                              {"pid", rank},
                              {"tid", e.thread},
                              {"ts", static_cast<double>(e.start_ns) / 1e3},
                              {"dur", static_cast<double>(e.end_ns - e.start_ns) / 1e3},
                              {"args", {{"key", e.key}}}});
        }
        for (const auto& t : worker_stats_[i].transfers_in) {
            const double ts = static_cast<double>(t.start_ns) / 1e3;
            const double te = static_cast<double>(t.end_ns) / 1e3;
            const json args = {{"key", t.key}, {"bytes", t.bytes}, {"from", t.from}};
            events.push_back({{"ph", "X"},
                              {"name", "send"},
                              {"cat", "transfer"},
                              {"pid", t.from},
                              {"tid", 2},
                              {"ts", ts},
                              {"dur", std::max(te - ts, 0.001)},
                              {"args", args}});
            events.push_back({{"ph", "X"},
                              {"name", "fetch"},
                              {"cat", "transfer"},
                              {"pid", rank},
                              {"tid", 2},
                              {"ts", ts},
                              {"dur", std::max(te - ts, 0.001)},
                              {"args", args}});
            ++flow_id;
            events.push_back({{"ph", "s"},
                              {"name", "transfer"},
                              {"cat", "transfer"},
                              {"id", flow_id},
                              {"pid", t.from},
                              {"tid", 2},
                              {"ts", ts}});
            events.push_back({{"ph", "f"},
                              {"bp", "e"},
                              {"name", "transfer"},
                              {"cat", "transfer"},
                              {"id", flow_id},
                              {"pid", rank},
                              {"tid", 2},
                              {"ts", te}});
        }
    }
    auto out = open_output(path, "trace");
    out << json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << '\n';
}

void Scheduler::write_dot(const std::string& path, detail::GraphState& g,
                          std::span<const TaskId> targets) const {
    check_graph(g);
    constexpr std::size_t kMaxNodes = 20000;  // beyond this Graphviz takes minutes
    const TaskGraph& graph = g.graph;
    auto& registry = FunctionRegistry::instance();
    std::vector<bool> seen(graph.size(), false);
    std::vector<TaskId> stack, nodes;
    for (TaskId t : targets)
        if (!seen[t]) {
            seen[t] = true;
            stack.push_back(t);
        }
    while (!stack.empty()) {
        const TaskId t = stack.back();
        stack.pop_back();
        nodes.push_back(t);
        if (nodes.size() > kMaxNodes)
            throw UsageError("the graph has more than " + std::to_string(kMaxNodes) +
                             " tasks; Graphviz output is limited to that");
        for (const ArgRef a : graph.args(t))
            if (a.is_task() && !seen[a.index()]) {
                seen[a.index()] = true;
                stack.push_back(a.index());
            }
    }
    std::sort(nodes.begin(), nodes.end());
    auto out = open_output(path, "graph");
    out << "digraph tessera {\n  rankdir=BT;\n  node [shape=box, style=rounded];\n";
    for (TaskId t : nodes) {
        out << "  t" << t << " [label=\"" << registry.get(graph.function(t)).name << "\\n#" << t
            << "\"];\n";
        for (const ArgRef a : graph.args(t))
            if (a.is_task()) out << "  t" << a.index() << " -> t" << t << ";\n";
    }
    out << "}\n";
}

std::string RunSummary::to_string() const {
    std::ostringstream os;
    os << "tessera summary: " << tasks << " tasks in " << seconds << " s; " << transfers
       << " transfers (" << format_bytes(static_cast<double>(transfer_bytes)) << "); " << spills
       << " spills (" << format_bytes(static_cast<double>(spill_bytes)) << "); peak worker memory "
       << format_bytes(static_cast<double>(peak_worker_memory)) << "\n";
    for (const auto& [name, t] : functions) {
        os << "  " << name << ": " << t.count << " calls, " << t.seconds << " s";
        if (t.count) os << " (" << t.seconds / static_cast<double>(t.count) * 1e6 << " us each)";
        os << "\n";
    }
    return os.str();
}

}  // namespace tessera
