// The graph scenarios over real MPI ranks (registered for 1, 3 and 4 ranks: the same expected
// values for each, so the results agree across rank counts).
#include <gtest/gtest.h>

#include "runtime/graph_scenarios.hpp"

namespace {

TEST(RuntimeMpi, Chain) { scenarios::chain(); }
TEST(RuntimeMpi, TreeOfAdditions) { scenarios::tree(1000); }
TEST(RuntimeMpi, FanOutFanIn) { scenarios::fan_out_fan_in(); }
TEST(RuntimeMpi, Diamond) { scenarios::diamond(); }
TEST(RuntimeMpi, SameArgumentTwice) { scenarios::same_argument_twice(); }
TEST(RuntimeMpi, UserTypesAndStrings) { scenarios::user_types_and_strings(); }
TEST(RuntimeMpi, ChunkBuffers) { scenarios::chunks(37, 1001); }
TEST(RuntimeMpi, EmptyChunks) { scenarios::chunks(5, 0); }
TEST(RuntimeMpi, Futures) { scenarios::futures(); }
TEST(RuntimeMpi, TaskErrorReachesDriver) { scenarios::task_error_reaches_driver(); }
TEST(RuntimeMpi, BuildTimeErrors) { scenarios::build_time_errors(); }
TEST(RuntimeMpi, NothingLeftBehind) { scenarios::nothing_left_behind(); }
TEST(RuntimeMpi, WorkerGroupCollectives) { scenarios::worker_group_collectives(); }
TEST(RuntimeMpi, HundredThousandTasks) { scenarios::tree(65536); }

}  // namespace
