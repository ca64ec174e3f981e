// Scratch names and the registry an interruption empties (io/scratch.hpp).
#include "tessera/io/scratch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;

namespace {

class ScratchTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("tessera-scratch-test-" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    void touch(const fs::path& p, std::size_t bytes = 0) {
        std::ofstream(p) << std::string(bytes, 'x');
    }
    fs::path dir_;
};

TEST_F(ScratchTest, AnInterruptionRemovesWhatIsRegisteredAndNothingElse) {
    const auto file = dir_ / "out.h5.tmp";
    const auto spill = dir_ / "spill";
    const auto released = dir_ / "released";
    touch(file);
    fs::create_directories(spill / "deep");
    touch(spill / "deep" / "1.chunk", 10);
    touch(released);
    const tessera::io::ScratchGuard a(file), b(spill);
    { const tessera::io::ScratchGuard c(released); }  // no longer scratch: the job kept it
    const auto removed = tessera::io::remove_registered_scratch();
    EXPECT_EQ(removed.size(), 2u);
    EXPECT_FALSE(fs::exists(file));
    EXPECT_FALSE(fs::exists(spill));
    EXPECT_TRUE(fs::exists(released));
    EXPECT_TRUE(tessera::io::remove_registered_scratch().empty());
}

TEST_F(ScratchTest, NamesCarryTheirOwnerAndOnlyAbandonedSpillIsRemoved) {
    const std::string me = tessera::io::scratch_owner();
    const std::string host = me.substr(0, me.rfind('-'));
    // A pid beyond pid_max: a process that has ended.
    const std::string ended = host + "-4999999";
    fs::create_directories(dir_ / ("tessera-spill-" + ended + "-rank3"));
    touch(dir_ / ("tessera-spill-" + ended + "-rank3") / "7.chunk", 100);
    fs::create_directories(dir_ / ("tessera-spill-" + me + "-rank1"));
    fs::create_directories(dir_ / "tessera-spill-node-a-17-12-rank2");  // a host name with dashes
    touch(tessera::io::temporary_output(dir_ / "out.h5"));
    touch(dir_ / ("x.h5.tessera-tmp-" + ended));
    touch(dir_ / "tessera-spill-garbage");
    touch(dir_ / "unrelated.h5");

    auto found = tessera::io::find_scratch(dir_);
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    ASSERT_EQ(found.size(), 5u);
    int abandoned = 0;
    for (const auto& l : found) {
        if (l.host == "node-a-17") {
            EXPECT_EQ(l.pid, 12);
            EXPECT_TRUE(l.is_spill);
            EXPECT_FALSE(l.on_this_host);
            EXPECT_FALSE(l.abandoned);  // another host's: cannot tell
            continue;
        }
        EXPECT_TRUE(l.on_this_host);
        abandoned += l.abandoned;
        EXPECT_EQ(l.abandoned, l.pid == 4999999) << l.path;
    }
    EXPECT_EQ(abandoned, 2);
    EXPECT_EQ(tessera::io::remove_abandoned_spill(dir_), 100u);
    EXPECT_FALSE(fs::exists(dir_ / ("tessera-spill-" + ended + "-rank3")));
    EXPECT_TRUE(fs::exists(dir_ / ("x.h5.tessera-tmp-" + ended)));  // outputs: `tessera clean`
    EXPECT_TRUE(fs::exists(dir_ / ("tessera-spill-" + me + "-rank1")));
}

}  // namespace
