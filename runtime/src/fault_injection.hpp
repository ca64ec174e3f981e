#pragma once
// Failure-injection switches for tests of the resilience paths, read from TESSERA_INJECT on every
// worker: a comma-separated list of
//   fail:FUNCTION:N        the Nth run of FUNCTION on each worker fails (a task error)
//   ioerror:FUNCTION:N:K   its Nth run fails K times (default 1) with an I/O error, as a flaky file
//                          system does: the retries (RuntimeOptions::io_retries) get past it
//   stall:RANK:N           worker RANK stops itself (SIGSTOP) as it starts its Nth task, as a hung
//                          file system would stop it
//   die:RANK:N             worker RANK is killed (SIGKILL) as it starts its Nth task
// Runs are counted per worker from 1. Nothing is injected when the variable is unset.
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tessera {

class FaultInjection {
public:
    /// The switches of TESSERA_INJECT for worker `rank`; throws UsageError on a malformed entry.
    explicit FaultInjection(int rank);
    /// Called as a task of `function` starts (from any thread): fails it, stops or kills the
    /// process when a switch says so.
    void before_task(const std::string& function);
    bool empty() const { return rules_.empty(); }

private:
    enum class Kind { kFail, kIoError, kStall, kDie };
    struct Rule {
        Kind kind;
        std::string function;  // kFail, kIoError
        std::int64_t nth = 0;
        std::int64_t times = 1;  // kIoError: failures before a try succeeds
    };
    std::vector<Rule> rules_;
    std::mutex mutex_;
    std::int64_t tasks_started_ = 0;
    std::vector<std::pair<std::string, std::int64_t>> runs_;  // per function named in a rule
    std::int64_t io_failures_left_ = 0;
    std::string io_failing_;
};

}  // namespace tessera
