// The scheduler and workers over the in-process transport: the scheduling logic without MPI.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "runtime/graph_scenarios.hpp"

namespace {

tessera::RuntimeOptions quiet() {
    tessera::RuntimeOptions o;
    o.progress = tessera::ProgressMode::kNone;
    return o;
}

class LocalClusterTest : public ::testing::TestWithParam<int> {
protected:
    tessera::LocalCluster cluster_{GetParam(), quiet()};
};

TEST_P(LocalClusterTest, Chain) { scenarios::chain(); }
TEST_P(LocalClusterTest, WorkerGroupCollectives) { scenarios::worker_group_collectives(); }
TEST_P(LocalClusterTest, TreeOfAdditions) { scenarios::tree(1000); }
TEST_P(LocalClusterTest, TreeWithSingleLeaf) { scenarios::tree(1); }
TEST_P(LocalClusterTest, FanOutFanIn) { scenarios::fan_out_fan_in(); }
TEST_P(LocalClusterTest, Diamond) { scenarios::diamond(); }
TEST_P(LocalClusterTest, SameArgumentTwice) { scenarios::same_argument_twice(); }
TEST_P(LocalClusterTest, UserTypesAndStrings) { scenarios::user_types_and_strings(); }
TEST_P(LocalClusterTest, ChunkBuffers) { scenarios::chunks(37, 1001); }
TEST_P(LocalClusterTest, EmptyChunks) { scenarios::chunks(5, 0); }
TEST_P(LocalClusterTest, Futures) { scenarios::futures(); }
TEST_P(LocalClusterTest, TaskErrorReachesDriver) { scenarios::task_error_reaches_driver(); }
TEST_P(LocalClusterTest, BuildTimeErrors) { scenarios::build_time_errors(); }
TEST_P(LocalClusterTest, NothingLeftBehind) { scenarios::nothing_left_behind(); }
TEST_P(LocalClusterTest, HundredThousandTasks) { scenarios::tree(65536); }

INSTANTIATE_TEST_SUITE_P(Workers, LocalClusterTest, ::testing::Values(1, 2, 3),
                         [](const auto& param_info) {
                             return std::to_string(param_info.param) + "workers";
                         });

TEST(LocalCluster, SpillsWhenIntermediatesExceedTheMemoryLimit) {
    auto options = quiet();
    options.memory_limit = 1 << 20;  // 1 MB per worker; the futures below hold 8 MB
    options.local_dir = ::testing::TempDir();
    tessera::LocalCluster cluster(2, options);
    std::vector<tessera::Future<tessera::kernels::Buffer>> parts;
    for (int i = 0; i < 32; ++i)
        parts.push_back(tessera::submit(scenarios::make_chunk(i * 32768, 32768)));
    std::vector<tessera::Delayed<tessera::kernels::Buffer>> lazy(parts.begin(), parts.end());
    auto total = scenarios::chunk_sum(scenarios::reduce_tree(
        lazy, [](const auto& a, const auto& b) { return scenarios::add_chunks(a, b); }));
    const double n = 32.0 * 32768;
    EXPECT_DOUBLE_EQ(total.compute(), n * (n - 1) / 2);
    const auto summary = cluster.client().summary();
    EXPECT_GT(summary.spills, 0u);
    EXPECT_GT(summary.spill_bytes, 0u);
    EXPECT_LE(summary.peak_worker_memory, 2u << 20);  // the limit plus the chunks in use
}

TEST(LocalCluster, TraceAndGraphFiles) {
    const auto dir = std::filesystem::path(::testing::TempDir());
    auto options = quiet();
    options.trace_path = (dir / "tessera_trace.json").string();
    {
        tessera::LocalCluster cluster(2, options);
        auto x = scenarios::addition_tree(64);
        cluster.client().write_dot((dir / "tessera_graph.dot").string(), x);
        EXPECT_EQ(x.compute(), 64 * 63 / 2);
    }  // the trace is written at shutdown
    std::ifstream trace(options.trace_path);
    const std::string json((std::istreambuf_iterator<char>(trace)), {});
    EXPECT_NE(json.find("\"traceEvents\""), std::string::npos);
    EXPECT_NE(json.find("\"tests.add\""), std::string::npos);
    EXPECT_NE(json.find("\"rank 1 (worker)\""), std::string::npos);
    std::ifstream dot(dir / "tessera_graph.dot");
    const std::string graph((std::istreambuf_iterator<char>(dot)), {});
    EXPECT_EQ(graph.rfind("digraph tessera {", 0), 0u);
    EXPECT_NE(graph.find("tests.add"), std::string::npos);
}

TEST(LocalCluster, LazyValuesNeedARuntime) { EXPECT_THROW(scenarios::inc(1), tessera::UsageError); }

}  // namespace

namespace {

// Worker threads share this process, so a task can record the order in which tasks ran.
std::mutex order_mutex;
std::vector<std::int64_t> run_order;
const auto record = tessera::register_function("tests.record", [](std::int64_t id) {
    std::lock_guard lock(order_mutex);
    run_order.push_back(id);
    return id;
});

TEST(Scheduling, HigherPriorityTasksRunFirst) {
    tessera::LocalCluster cluster(1, quiet());
    run_order.clear();
    std::vector<tessera::Delayed<std::int64_t>> tasks;
    for (std::int64_t i = 0; i < 20; ++i) tasks.push_back(record(i));
    {
        tessera::PriorityScope urgent(5);
        for (std::int64_t i = 100; i < 110; ++i) tasks.push_back(record(i));
    }
    auto total = scenarios::reduce_tree(
        tasks, [](const auto& a, const auto& b) { return scenarios::add(a, b); });
    EXPECT_EQ(total.compute(), 190 + 1045);
    ASSERT_EQ(run_order.size(), 30u);
    for (std::size_t i = 0; i < 10; ++i) EXPECT_GE(run_order[i], 100) << "position " << i;
}

TEST(Scheduling, DepthFirstOrderKeepsFewLargeResultsAlive) {
    // 64 leaves of 1 MiB summed by a tree: run in post-order, with root tasks withheld until a
    // worker has room, only a handful of leaves are alive at a time (about 8 MiB measured),
    // not all 64.
    tessera::LocalCluster cluster(1, quiet());
    std::vector<tessera::Delayed<tessera::kernels::Buffer>> leaves;
    for (int i = 0; i < 64; ++i) leaves.push_back(scenarios::make_chunk(i, 1 << 17));
    auto total = scenarios::chunk_sum(scenarios::reduce_tree(
        leaves, [](const auto& a, const auto& b) { return scenarios::add_chunks(a, b); }));
    total.compute();
    const auto summary = cluster.client().summary();
    EXPECT_LT(summary.peak_worker_memory, 24u << 20) << "peak " << summary.peak_worker_memory;
}

}  // namespace
