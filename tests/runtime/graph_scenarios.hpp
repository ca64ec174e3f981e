#pragma once
// Graph shapes every transport must run correctly: the same scenarios run over the in-process
// transport (local_cluster_test) and over MPI with 1, 3 and 4 ranks (runtime_mpi_test). Each
// checks its result against the same computation done serially here.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/worker_group_checks.hpp"
#include "tessera/runtime/function_registry.hpp"
#include "tessera/tessera.hpp"

namespace scenarios {

using tessera::Delayed;
using tessera::kernels::Buffer;
using tessera::kernels::DType;

/// A user type that travels through Boost.Serialization.
struct Stats {
    std::int64_t count = 0;
    double total = 0;
    std::string label;
    template <class Archive>
    void serialize(Archive& ar, unsigned /*version*/) {
        ar& count& total& label;
    }
};

inline std::int64_t inc_impl(std::int64_t x) { return x + 1; }
inline std::int64_t add_impl(std::int64_t a, std::int64_t b) { return a + b; }
inline std::int64_t explode_impl(std::int64_t x) {
    if (x == 7) throw std::runtime_error("boom at " + std::to_string(x));
    return x;
}

inline const auto inc = tessera::register_function("tests.inc", inc_impl);
/// The worker group's checks as a collective task: every worker runs them together.
inline const tessera::FunctionInfo& group_collectives = tessera::register_collective_function(
    "tests.group_collectives",
    [](tessera::WorkerGroup& g, std::span<const tessera::ArgView>, tessera::Bytes& out) {
        const std::int64_t sum = group_checks::exercise(g);
        tessera::ByteWriter w(out);
        w.pod(sum);
        w.pod<std::int64_t>(g.size());
    });
inline const auto add = tessera::register_function("tests.add", add_impl);
inline const auto twice =
    tessera::register_function("tests.twice", [](std::int64_t x) { return 2 * x; });
inline const auto square =
    tessera::register_function("tests.square", [](std::int64_t x) { return x * x; });
inline const auto explode = tessera::register_function("tests.explode", explode_impl);
inline const auto iota = tessera::register_function("tests.iota", [](std::int64_t n) {
    std::vector<std::int64_t> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
});
inline const auto slice_sum = tessera::register_function(
    "tests.slice_sum", [](std::vector<std::int64_t> v, std::int64_t part, std::int64_t parts) {
        const auto n = static_cast<std::int64_t>(v.size());
        return std::accumulate(v.begin() + n * part / parts, v.begin() + n * (part + 1) / parts,
                               std::int64_t{0});
    });
inline const auto describe = tessera::register_function(
    "tests.describe", [](std::vector<std::int64_t> v, std::string label) {
        return Stats{static_cast<std::int64_t>(v.size()),
                     static_cast<double>(std::accumulate(v.begin(), v.end(), std::int64_t{0})),
                     label};
    });
inline const auto merge_stats =
    tessera::register_function("tests.merge_stats", [](Stats a, Stats b) {
        return Stats{a.count + b.count, a.total + b.total, a.label + "+" + b.label};
    });
/// A chunk of `n` float64 values start, start+1, ...
inline const auto make_chunk =
    tessera::register_function("tests.make_chunk", [](std::int64_t start, std::int64_t n) {
        Buffer b(DType::kFloat64, {n});
        for (std::int64_t i = 0; i < n; ++i) b.data<double>()[i] = static_cast<double>(start + i);
        return b;
    });
inline const auto add_chunks =
    tessera::register_function("tests.add_chunks", [](Buffer a, Buffer b) {
        if (a.shape() != b.shape()) throw std::invalid_argument("chunk shapes differ");
        for (std::int64_t i = 0; i < a.size(); ++i) a.data<double>()[i] += b.data<double>()[i];
        return a;
    });
inline const auto chunk_sum = tessera::register_function("tests.chunk_sum", [](Buffer b) {
    double s = 0;
    for (double v : b.values<double>()) s += v;
    return s;
});

/// Pairwise reduction by position (a fixed tree).
template <class T, class F>
T reduce_tree(std::vector<T> items, const F& combine) {
    while (items.size() > 1) {
        std::vector<T> next;
        for (std::size_t i = 0; i + 1 < items.size(); i += 2)
            next.push_back(combine(items[i], items[i + 1]));
        if (items.size() % 2) next.push_back(items.back());
        items = std::move(next);
    }
    return items.front();
}

inline Delayed<std::int64_t> addition_tree(std::int64_t leaves) {
    std::vector<Delayed<std::int64_t>> level;
    for (std::int64_t i = 0; i < leaves; ++i) level.push_back(inc(i - 1));  // leaf value i
    return reduce_tree(level, [](const auto& a, const auto& b) { return add(a, b); });
}

inline void chain() {
    Delayed<std::int64_t> x = inc(0);
    for (int i = 1; i < 1000; ++i) x = inc(x);
    EXPECT_EQ(x.compute(), 1000);
}

inline void tree(std::int64_t leaves) {
    EXPECT_EQ(addition_tree(leaves).compute(), leaves * (leaves - 1) / 2);
}

inline void fan_out_fan_in() {
    const std::int64_t n = 10007, parts = 53;  // parts that do not divide n
    auto source = iota(n);
    std::vector<Delayed<std::int64_t>> sums;
    for (std::int64_t p = 0; p < parts; ++p) sums.push_back(slice_sum(source, p, parts));
    auto total = reduce_tree(sums, [](const auto& a, const auto& b) { return add(a, b); });
    EXPECT_EQ(total.compute(), n * (n - 1) / 2);
}

inline void diamond() {
    auto a = inc(4);
    auto d = add(twice(a), square(a));
    auto e = add(d, a);  // a used twice in the graph, d's inputs shared
    auto [dv, ev] = tessera::compute(d, e);
    EXPECT_EQ(dv, 10 + 25);
    EXPECT_EQ(ev, 35 + 5);
}

inline void same_argument_twice() {
    auto a = inc(20);
    EXPECT_EQ(add(a, a).compute(), 42);
}

inline void user_types_and_strings() {
    auto v = iota(100);
    auto s = merge_stats(describe(v, "left"), describe(iota(10), "right"));
    const Stats out = s.compute();
    EXPECT_EQ(out.count, 110);
    EXPECT_DOUBLE_EQ(out.total, 4950.0 + 45.0);
    EXPECT_EQ(out.label, "left+right");
}

inline void chunks(std::int64_t count, std::int64_t length) {
    std::vector<Delayed<Buffer>> parts;
    for (std::int64_t i = 0; i < count; ++i) parts.push_back(make_chunk(i * length, length));
    auto total = chunk_sum(
        reduce_tree(parts, [](const auto& a, const auto& b) { return add_chunks(a, b); }));
    // Serially: sum over i, j of (i * length + j).
    double expected = 0;
    for (std::int64_t i = 0; i < count; ++i)
        for (std::int64_t j = 0; j < length; ++j) expected += static_cast<double>(i * length + j);
    EXPECT_DOUBLE_EQ(total.compute(), expected);
}

inline void futures() {
    std::vector<std::int64_t> inputs(200);
    std::iota(inputs.begin(), inputs.end(), 0);
    auto squares = square.map(inputs);
    auto gathered = tessera::Client::current().gather(squares);
    for (std::size_t i = 0; i < inputs.size(); ++i) EXPECT_EQ(gathered[i], inputs[i] * inputs[i]);

    // Futures as arguments of further work; every future comes out of as_completed exactly once.
    auto f = add.submit(squares[3], squares[4]);
    EXPECT_EQ(f.result(), 25);
    std::vector<bool> seen(inputs.size(), false);
    std::size_t n = 0;
    for (auto done = tessera::as_completed(squares); auto g = done.next(); ++n) {
        EXPECT_TRUE(g->done());
        const auto v = g->result();
        const auto i = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(v))));
        EXPECT_FALSE(seen[i]);
        seen[i] = true;
    }
    EXPECT_EQ(n, inputs.size());
    // A lazy graph on top of futures, computed as usual.
    EXPECT_EQ(add(squares[10], inc(squares[2])).compute(), 105);
}

inline void task_error_reaches_driver() {
    auto bad = add(explode(7), inc(1));
    try {
        bad.compute();
        ADD_FAILURE() << "compute did not throw";
    } catch (const tessera::TaskError& e) {
        EXPECT_EQ(e.function(), "tests.explode");
        EXPECT_EQ(e.original_message(), "boom at 7");
        EXPECT_GE(e.rank(), 1);
        EXPECT_NE(std::string(e.what()).find("(tests.explode) failed on rank"), std::string::npos)
            << e.what();
    }
    // The failure of a future reaches whoever waits on it; the runtime stays usable.
    auto f = explode.submit(7);
    EXPECT_THROW(f.result(), tessera::TaskError);
    EXPECT_EQ(add(explode(3), 4).compute(), 7);
}

inline void build_time_errors() {
    try {
        tessera::call<std::int64_t>("tests.ad", std::int64_t{1}, std::int64_t{2});
        ADD_FAILURE() << "unknown name accepted";
    } catch (const tessera::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'tests.add'"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(tessera::call<std::int64_t>("tests.add", std::int64_t{1}), tessera::UsageError);
    try {
        tessera::call<std::int64_t>("tests.add", std::int64_t{1}, std::string("two"));
        ADD_FAILURE() << "wrong type accepted";
    } catch (const tessera::UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("argument 2 of tests.add"), std::string::npos)
            << e.what();
    }
    // The right call by name runs like any other.
    EXPECT_EQ(tessera::call<std::int64_t>("tests.add", inc(1), std::int64_t{40}).compute(), 42);
}

/// After a computation, no worker holds any result: intermediates were freed as soon as their
/// dependents finished, and the targets once the driver had them.
inline void nothing_left_behind() {
    tree(1000);
    const auto summary = tessera::Client::current().summary();
    EXPECT_EQ(summary.held_results, 0u);
}

/// A collective task: every worker runs the worker group's checks with the others; the driver
/// gets one worker's copy of the result.
inline void worker_group_collectives() {
    auto g = tessera::detail::building_graph();
    const tessera::TaskId t = g->graph.add_task(group_collectives.id, {});
    const auto results = tessera::detail::compute(*g, std::span<const tessera::TaskId>(&t, 1));
    tessera::ByteReader r(results.at(0));
    const auto sum = r.pod<std::int64_t>();
    const auto size = r.pod<std::int64_t>();
    const std::int64_t workers = tessera::Client::current().num_workers();
    EXPECT_EQ(size, workers);
    EXPECT_EQ(sum, workers * (workers + 1) / 2 - (workers - 1) + workers);
}

}  // namespace scenarios
