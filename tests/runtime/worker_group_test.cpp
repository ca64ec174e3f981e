// The in-process worker group: the shared collective checks on 1 to 4 member threads, several
// times over one group (the rendezvous is reused), and its refusals.
#include <gtest/gtest.h>

#include <exception>
#include <thread>

#include "runtime/worker_group_checks.hpp"
#include "tessera/runtime/error.hpp"

namespace {

TEST(InProcessGroup, CollectivesAgreeWithTheChecks) {
    for (int n = 1; n <= 4; ++n) {
        tessera::InProcessGroup group(n);
        std::vector<std::int64_t> sums(static_cast<std::size_t>(n));
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
        std::vector<std::thread> members;
        for (int r = 0; r < n; ++r)
            members.emplace_back([&, r] {
                try {
                    for (int repeat = 0; repeat < 3; ++repeat)
                        sums[static_cast<std::size_t>(r)] = group_checks::exercise(group.member(r));
                } catch (...) {
                    errors[static_cast<std::size_t>(r)] = std::current_exception();
                }
            });
        for (auto& t : members) t.join();
        for (int r = 0; r < n; ++r) {
            if (errors[static_cast<std::size_t>(r)])
                std::rethrow_exception(errors[static_cast<std::size_t>(r)]);
            EXPECT_EQ(sums[static_cast<std::size_t>(r)], sums[0])
                << "size " << n << ", member " << r;
        }
    }
}

TEST(InProcessGroup, RefusesAWrongNumberOfSendBuffers) {
    tessera::InProcessGroup group(1);
    EXPECT_THROW(group.member(0).alltoallv(std::vector<tessera::Bytes>(2), 1), tessera::UsageError);
    EXPECT_EQ(group.member(0).mpi_communicator(), MPI_COMM_NULL);
}

}  // namespace
