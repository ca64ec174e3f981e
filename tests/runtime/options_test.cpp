#include "tessera/runtime/options.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "tessera/runtime/error.hpp"

TEST(Options, ParseBytesUnderstandsDecimalAndBinaryUnits) {
    EXPECT_EQ(tessera::parse_bytes("4GB"), 4'000'000'000u);
    EXPECT_EQ(tessera::parse_bytes("512MiB"), 512u << 20);
    EXPECT_EQ(tessera::parse_bytes("1e9"), 1'000'000'000u);
    EXPECT_EQ(tessera::parse_bytes("2 g"), 2'000'000'000u);
    EXPECT_EQ(tessera::parse_bytes("1.5KiB"), 1536u);
}

TEST(Options, ParseBytesRejectsGarbageWithTheInputInTheMessage) {
    try {
        tessera::parse_bytes("4 parsecs");
        FAIL();
    } catch (const tessera::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("parsecs"), std::string::npos);
    }
    EXPECT_THROW(tessera::parse_bytes("lots"), tessera::UsageError);
    EXPECT_THROW(tessera::parse_bytes("-1GB"), tessera::UsageError);
}

TEST(Options, ProgressModes) {
    EXPECT_EQ(tessera::parse_progress_mode("lines"), tessera::ProgressMode::kLines);
    EXPECT_THROW(tessera::parse_progress_mode("loud"), tessera::UsageError);
}

TEST(Options, FormatBytes) {
    EXPECT_EQ(tessera::format_bytes(512), "512 B");
    EXPECT_EQ(tessera::format_bytes(1536), "1.5 KiB");
}

TEST(Options, DurationsInSlurmsForms) {
    EXPECT_DOUBLE_EQ(tessera::parse_duration("01:30:00"), 5400);
    EXPECT_DOUBLE_EQ(tessera::parse_duration("30:00"), 1800);
    EXPECT_DOUBLE_EQ(tessera::parse_duration("2-01:00:00"), 2 * 86400 + 3600);
    EXPECT_DOUBLE_EQ(tessera::parse_duration("1-12:30"), 86400 + 12 * 3600 + 30 * 60);
    EXPECT_DOUBLE_EQ(tessera::parse_duration("2.5"), 2.5);
    for (const char* bad : {"", "soon", "1:2:3:4", "-5", "1::2", "1-", "10s"})
        EXPECT_THROW(tessera::parse_duration(bad), tessera::UsageError) << bad;
}

TEST(Options, WalltimeFromTheBatchSystem) {
    unsetenv("SLURM_JOB_END_TIME");
    unsetenv("PBS_WALLTIME");
    EXPECT_EQ(tessera::walltime_from_env(), 0);
    setenv("PBS_WALLTIME", "3600", 1);
    EXPECT_DOUBLE_EQ(tessera::walltime_from_env(), 3600);
    setenv("SLURM_JOB_END_TIME", std::to_string(std::time(nullptr) + 600).c_str(), 1);
    EXPECT_NEAR(tessera::walltime_from_env(), 600, 5);  // Slurm's end time comes first
    unsetenv("SLURM_JOB_END_TIME");
    unsetenv("PBS_WALLTIME");
}
