// Run with TESSERA_MEMORY_LIMIT=2MB: the futures below hold 16 MB, so the workers must spill
// to their local directory and read the chunks back for the reduction.
#include <gtest/gtest.h>

#include "runtime/graph_scenarios.hpp"
#include "tessera/array.hpp"

namespace {

TEST(SpillMpi, IntermediatesLargerThanMemoryStillGiveTheRightResult) {
    constexpr std::int64_t kParts = 64, kLength = 32768;  // 64 chunks of 256 KiB
    std::vector<tessera::Future<tessera::kernels::Buffer>> parts;
    for (std::int64_t i = 0; i < kParts; ++i)
        parts.push_back(tessera::submit(scenarios::make_chunk(i * kLength, kLength)));
    std::vector<tessera::Delayed<tessera::kernels::Buffer>> lazy(parts.begin(), parts.end());
    auto total = scenarios::chunk_sum(scenarios::reduce_tree(
        lazy, [](const auto& a, const auto& b) { return scenarios::add_chunks(a, b); }));
    const double n = static_cast<double>(kParts * kLength);
    EXPECT_DOUBLE_EQ(total.compute(), n * (n - 1) / 2);
    const auto summary = tessera::Client::current().summary();
    EXPECT_GT(summary.spills, 0u);
    EXPECT_LE(summary.peak_worker_memory, 4u << 20);
}

}  // namespace

namespace {

// An array eight times the workers' memory limits: kept (persisted) blocks spill to the local
// directory and come back for the reductions; the results equal those of one in-process
// worker with plenty of memory, bit for bit.
TEST(SpillMpi, ArrayLargerThanMemoryComputesCorrectly) {
    using namespace tessera;
    auto expressions = [](const Array& x) {
        return std::vector<Array>{x.sum(), (x + x.T()).mean({0}), x.std({1})};
    };
    const Array x = random::random({1024, 1024}, ChunkSpec(128), 4).persist();  // 8 MiB, 64 blocks
    const auto distributed = compute(expressions(x));
    const auto summary = Client::current().summary();
    EXPECT_GT(summary.spills, 0u);
    EXPECT_LE(summary.peak_worker_memory, 4u << 20);
    std::vector<Buffer> local;
    {
        RuntimeOptions roomy;
        roomy.progress = ProgressMode::kNone;
        roomy.memory_limit = std::size_t{1} << 30;
        LocalCluster one(1, roomy);
        local = compute(expressions(random::random({1024, 1024}, ChunkSpec(128), 4)));
    }
    for (std::size_t i = 0; i < local.size(); ++i)
        EXPECT_TRUE(distributed[i] == local[i]) << "expression " << i;
}

}  // namespace

namespace {

// A rechunk of an array larger than the workers' memory, exchanged in rounds of 64 KB per
// destination: the collective cuts, moves and reassembles every block correctly.
TEST(SpillMpi, RechunkInBoundedRoundsAgreesWithTheOriginal) {
    using namespace tessera;
    const Array x = random::random({777, 513}, ChunkSpec({100, 128}), 8);
    const Array y = x.rechunk(ChunkSpec({333, 77}));
    EXPECT_EQ(y.chunks()[0], (std::vector<std::int64_t>{333, 333, 111}));
    EXPECT_TRUE(y.compute() == x.compute());
    EXPECT_TRUE((y - x).max().item<double>() == 0.0);  // blocks of both chunkings side by side
}

}  // namespace
