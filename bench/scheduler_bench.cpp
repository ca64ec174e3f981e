// Scheduler benchmark, the tessera side of ../shared/bench/dask_suite.py delayed_tree.
//
//   mpirun -n 3 scheduler_bench tree          binary addition tree over 65,536 leaves (131,071
//   tasks) mpirun -n 3 scheduler_bench independent   1,000,000 independent tiny tasks (map) and
//   their sum mpirun -n 3 scheduler_bench memory        rank 0's bytes per task for a
//   1,000,000-task graph
//
// Prints one line per case: NAME SECONDS RESULT [extra]. Times include building the graph, as
// the Dask peer's do. Run it through bench/run_scheduler_bench.sh for medians and Dask ratios.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>

#include "tessera/tessera.hpp"

namespace {

const auto add =
    tessera::register_function("bench.add", [](std::int64_t a, std::int64_t b) { return a + b; });
const auto leaf = tessera::register_function("bench.leaf", [](std::int64_t i) { return i; });
const auto inc = tessera::register_function("bench.inc", [](std::int64_t i) { return i + 1; });

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Resident or peak resident memory of this process in bytes, from /proc.
std::size_t proc_status_bytes(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0) return std::stoull(line.substr(std::strlen(field))) * 1024;
    return 0;
}

std::int64_t tree(std::int64_t leaves) {
    std::vector<tessera::Delayed<std::int64_t>> level;
    level.reserve(static_cast<std::size_t>(leaves));
    for (std::int64_t i = 0; i < leaves; ++i) level.push_back(leaf(i));
    while (level.size() > 1) {
        std::vector<tessera::Delayed<std::int64_t>> next;
        next.reserve(level.size() / 2);
        for (std::size_t i = 0; i + 1 < level.size(); i += 2)
            next.push_back(add(level[i], level[i + 1]));
        level = std::move(next);
    }
    return level.front().compute();
}

std::int64_t independent(std::int64_t n, tessera::Client& client) {
    std::vector<std::int64_t> inputs(static_cast<std::size_t>(n));
    std::iota(inputs.begin(), inputs.end(), 0);
    const auto futures = inc.map(inputs);
    const auto values = client.gather(futures);
    return std::accumulate(values.begin(), values.end(), std::int64_t{0});
}

}  // namespace

int main(int argc, char** argv) {
    tessera::RuntimeOptions options;
    options.progress = tessera::ProgressMode::kNone;
    tessera::Runtime rt(argc, argv, options);
    const std::string which = argc > 1 ? argv[1] : "tree";
    return rt.run([&] {
        const auto t0 = std::chrono::steady_clock::now();
        if (which == "tree") {
            const auto result = tree(65536);
            std::printf("tree %.3f %lld tasks=131071\n", seconds_since(t0),
                        static_cast<long long>(result));
        } else if (which == "independent") {
            const auto result = independent(1'000'000, rt.client());
            std::printf("independent %.3f %lld tasks=1000000\n", seconds_since(t0),
                        static_cast<long long>(result));
        } else if (which == "memory") {
            const auto before = proc_status_bytes("VmRSS:");
            const auto result = independent(1'000'000, rt.client());
            const auto peak = proc_status_bytes("VmHWM:");
            std::printf(
                "memory %.3f %lld rank0_bytes_per_task=%.0f scheduler_tables_bytes_per_task=%.0f\n",
                seconds_since(t0), static_cast<long long>(result),
                static_cast<double>(peak - before) / 1e6, rt.client().memory_per_task());
        } else {
            throw tessera::UsageError("unknown case '" + which +
                                      "'; use tree, independent or memory");
        }
        std::fflush(stdout);
    });
}
