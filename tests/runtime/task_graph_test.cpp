#include "tessera/runtime/task_graph.hpp"

#include <gtest/gtest.h>

#include "tessera/runtime/error.hpp"

TEST(TaskGraph, HoldsTasksArgumentsAndLiterals) {
    tessera::TaskGraph g;
    const char lit[] = "abc";
    const auto l = g.add_literal(lit, 3);
    const tessera::ArgRef a0[] = {tessera::ArgRef::literal(l)};
    const auto t0 = g.add_task(5, a0);
    const tessera::ArgRef a1[] = {tessera::ArgRef::task(t0), tessera::ArgRef::task(t0)};
    const auto t1 = g.add_task(6, a1);
    EXPECT_EQ(g.size(), 2u);
    EXPECT_EQ(g.function(t1), 6u);
    ASSERT_EQ(g.args(t1).size(), 2u);
    EXPECT_TRUE(g.args(t1)[0].is_task());
    EXPECT_EQ(g.args(t1)[1].index(), t0);
    EXPECT_FALSE(g.args(t0)[0].is_task());
    EXPECT_EQ(std::string(g.literal(l).data(), g.literal(l).size()), "abc");
    EXPECT_EQ(g.first_arg_slot(t1), 1u);
}

TEST(TaskGraph, ArgumentsMustComeFirst) {
    tessera::TaskGraph g;
    const tessera::ArgRef forward[] = {tessera::ArgRef::task(0)};
    EXPECT_THROW(g.add_task(0, forward), tessera::UsageError);
}

TEST(TaskGraph, StaysCompactPerTask) {
    tessera::TaskGraph g;
    const tessera::ArgRef none[1] = {tessera::ArgRef::literal(0)};
    for (int i = 0; i < 100000; ++i) g.add_task(0, std::span<const tessera::ArgRef>(none, 0));
    EXPECT_LT(static_cast<double>(g.memory_bytes()) / 100000.0, 40.0);
}
