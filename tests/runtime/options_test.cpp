#include "tessera/runtime/options.hpp"

#include <gtest/gtest.h>

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
