// The ledger of a resumable output: its header tells computations apart (whatever the rank count,
// so no runtime is needed to build one), and a torn last line does not count.
#include "ledger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tessera/array.hpp"

namespace {

using tessera::Array;
using tessera::ChunkSpec;
using tessera::detail::OutputLedger;

std::string header_of(const Array& a) { return OutputLedger::header({{"/y", a}}); }

Array computation(std::uint64_t seed, std::int64_t chunk = 100, double scale = 2) {
    Array x = tessera::random::random({400, 300}, ChunkSpec(chunk), seed);
    return sin(x) * scale + 1;
}

}  // namespace

TEST(OutputLedger, TheSameComputationHasTheSameHeader) {
    EXPECT_EQ(header_of(computation(1)), header_of(computation(1)));
    EXPECT_EQ(OutputLedger::differences(header_of(computation(1)), header_of(computation(1))), "");
}

TEST(OutputLedger, DifferencesSayWhatChanged) {
    const std::string base = header_of(computation(1));
    EXPECT_NE(OutputLedger::differences(base, header_of(computation(2)))
                  .find("dataset /y is computed differently"),
              std::string::npos);
    EXPECT_NE(OutputLedger::differences(base, header_of(computation(1, 100, 3)))
                  .find("computed differently"),
              std::string::npos);
    EXPECT_NE(OutputLedger::differences(base, header_of(computation(1, 50))).find("other chunks"),
              std::string::npos);
    const std::string two = OutputLedger::header({{"/y", computation(1)}, {"/z", computation(1)}});
    EXPECT_NE(OutputLedger::differences(base, two).find("this one writes /y, /z"),
              std::string::npos);
}

TEST(OutputLedger, RecordsSurviveAndATornLineIsIgnored) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("ledger-test-" + std::to_string(getpid()) + ".ledger");
    const std::string header = header_of(computation(1));
    {
        OutputLedger ledger(path, header, /*fresh=*/true);
        ledger.record({0, 3});
        ledger.record({0, 7});
    }
    {
        OutputLedger continued(path, header, /*fresh=*/false);
        continued.record({1, 0});
    }
    std::ofstream(path, std::ios::app) << "0 9";  // a kill mid-write: no newline
    const auto contents = OutputLedger::read(path);
    ASSERT_TRUE(contents);
    EXPECT_EQ(contents->header, header);
    const std::set<OutputLedger::Block> expected{{0, 3}, {0, 7}, {1, 0}};
    EXPECT_EQ(contents->written, expected);
    std::ofstream(path, std::ios::trunc) << "tessera-ledger 1\ninput\t";  // a torn header
    EXPECT_FALSE(OutputLedger::read(path));
    std::filesystem::remove(path);
}
