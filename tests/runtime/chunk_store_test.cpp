#include "chunk_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace {

tessera::SharedBytes bytes(std::size_t n, char fill) {
    return std::make_shared<const tessera::Bytes>(n, fill);
}

class ChunkStoreTest : public ::testing::Test {
protected:
    std::filesystem::path dir_ = std::filesystem::path(::testing::TempDir()) / "chunk_store_test";
    // Limit 1000 bytes: spilling starts above 600.
    tessera::ChunkStore store_{1000, tessera::io::SpillDirectory(dir_, "t")};
};

TEST_F(ChunkStoreTest, AccountsBytes) {
    store_.put(1, bytes(100, 'a'), true);
    store_.put(2, bytes(200, 'b'), true);
    EXPECT_EQ(store_.memory_bytes(), 300u);
    store_.erase(1);
    EXPECT_EQ(store_.memory_bytes(), 200u);
    EXPECT_EQ(store_.size(), 1u);
}

TEST_F(ChunkStoreTest, SpillsLeastRecentlyUsedAndReloadsOnDemand) {
    store_.put(1, bytes(300, 'a'), true);
    store_.put(2, bytes(300, 'b'), true);
    ASSERT_NE(store_.get(1), nullptr);  // 1 is now the most recently used
    store_.put(3, bytes(300, 'c'), true);
    EXPECT_EQ(store_.spills(), 1u);
    EXPECT_LE(store_.memory_bytes(), 600u);
    const auto two = store_.get(2);  // spilled, read back
    ASSERT_NE(two, nullptr);
    EXPECT_EQ(*two, tessera::Bytes(300, 'b'));
    EXPECT_EQ(*store_.get(1), tessera::Bytes(300, 'a'));
    EXPECT_EQ(*store_.get(3), tessera::Bytes(300, 'c'));
}

TEST_F(ChunkStoreTest, PinnedResultsStayInMemory) {
    store_.put(1, bytes(500, 'a'), true);
    store_.pin(1);
    store_.put(2, bytes(500, 'b'), true);  // over the target: 2 goes, 1 is pinned
    store_.put(3, bytes(500, 'c'), true);  // and so does 3
    EXPECT_EQ(store_.spills(), 2u);
    EXPECT_EQ(store_.memory_bytes(), 500u);
    store_.unpin(1);
    store_.put(4, bytes(200, 'd'), true);  // now 1, the least recently used, goes
    EXPECT_EQ(store_.spills(), 3u);
    EXPECT_EQ(store_.memory_bytes(), 200u);
    EXPECT_EQ(*store_.get(1), tessera::Bytes(500, 'a'));
}

TEST_F(ChunkStoreTest, ErasingASpilledResultDeletesItsFile) {
    store_.put(1, bytes(700, 'a'), true);
    store_.put(2, bytes(10, 'b'), true);
    ASSERT_EQ(store_.spills(), 1u);
    const auto file = dir_ / ("tessera-spill-" + tessera::io::scratch_owner() + "-t") / "1.chunk";
    EXPECT_TRUE(std::filesystem::exists(file));
    store_.erase(1);
    EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(ChunkStoreTest, AReloadedResultKeepsItsFileAndIsNotWrittenAgain) {
    store_.put(1, bytes(500, 'a'), true);
    store_.put(2, bytes(500, 'b'), true);  // 1 spills
    ASSERT_EQ(store_.spill_bytes(), 500u);
    const auto file = dir_ / ("tessera-spill-" + tessera::io::scratch_owner() + "-t") / "1.chunk";
    EXPECT_EQ(*store_.get(1), tessera::Bytes(500, 'a'));  // back in memory; 2 spills
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(store_.spill_bytes(), 1000u);
    EXPECT_EQ(*store_.get(2), tessera::Bytes(500, 'b'));  // 1 leaves memory again, unwritten
    EXPECT_EQ(store_.spills(), 3u);
    EXPECT_EQ(store_.spill_bytes(), 1000u);
    EXPECT_EQ(store_.memory_bytes(), 500u);
    EXPECT_EQ(*store_.get(1), tessera::Bytes(500, 'a'));
    store_.erase(1);
    EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(ChunkStoreTest, OwnershipDecidesWhatTheWorkerMayDrop) {
    store_.put(1, bytes(10, 'a'), false);
    EXPECT_FALSE(store_.owned(1));
    store_.put(2, bytes(10, 'b'), true);
    EXPECT_TRUE(store_.owned(2));
    store_.disown(2);
    EXPECT_FALSE(store_.owned(2));
}

TEST(SpillDirectory, UnwritableLocationIsAClearError) {
    tessera::io::SpillDirectory spill("/proc/no-such-place", "x");
    try {
        spill.write(1, tessera::Bytes(4, 'a'));
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("/proc/no-such-place"), std::string::npos) << e.what();
    }
}

}  // namespace
