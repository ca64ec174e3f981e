#include "fault_injection.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tessera/io/io_error.hpp"
#include "tessera/runtime/error.hpp"

namespace {

struct Injecting {
    explicit Injecting(const char* spec) { setenv("TESSERA_INJECT", spec, 1); }
    ~Injecting() { unsetenv("TESSERA_INJECT"); }
};

}  // namespace

TEST(FaultInjection, NothingWithoutTheVariable) {
    unsetenv("TESSERA_INJECT");
    tessera::FaultInjection none(1);
    EXPECT_TRUE(none.empty());
    EXPECT_NO_THROW(none.before_task("array.h5_read"));
}

TEST(FaultInjection, FailsTheNthRunOfAFunction) {
    Injecting on("fail:array.h5_write:2");
    tessera::FaultInjection f(1);
    EXPECT_NO_THROW(f.before_task("array.h5_write"));
    EXPECT_NO_THROW(f.before_task("array.h5_read"));  // other functions do not count
    EXPECT_THROW(f.before_task("array.h5_write"), tessera::Error);
    EXPECT_NO_THROW(f.before_task("array.h5_write"));
}

TEST(FaultInjection, IoErrorsLastKRuns) {
    Injecting on("ioerror:array.h5_read:1:3");
    tessera::FaultInjection f(2);
    for (int i = 0; i < 3; ++i) EXPECT_THROW(f.before_task("array.h5_read"), tessera::io::IoError);
    EXPECT_NO_THROW(f.before_task("array.h5_read"));
}

TEST(FaultInjection, RankRulesApplyToTheirRankOnly) {
    Injecting on("stall:3:1,die:3:1");
    tessera::FaultInjection other(2);
    EXPECT_TRUE(other.empty());
}

TEST(FaultInjection, MalformedSwitchesAreUsageErrors) {
    for (const char* bad :
         {"explode:1:1", "fail:array.add", "fail:array.add:0", "stall:x:1", "ioerror:f:1:2:3"}) {
        Injecting on(bad);
        EXPECT_THROW(tessera::FaultInjection(1), tessera::UsageError) << bad;
    }
}
