#include "interruption.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tessera/io/scratch.hpp"
#include "tessera/runtime/options.hpp"
#include "tessera/runtime/runtime.hpp"

namespace tessera {

namespace {

std::atomic<int> this_rank{-1};
std::atomic<int> job_size{1};
std::atomic<std::uint64_t> tasks_done{0};
std::atomic<std::uint64_t> tasks_total{0};

struct Location {
    std::mutex mutex;
    std::string where;
};
Location& location() {
    static auto* l = new Location;  // never destroyed: a signal may come during exit
    return *l;
}

sigset_t interrupting_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    return set;
}

std::atomic<int> drain_signal{0};
std::atomic<double> drain_limit{20};

std::string paths_text(const char* what, const std::vector<std::filesystem::path>& paths) {
    if (paths.empty()) return "";
    std::string out = std::string("; ") + what;
    for (std::size_t i = 0; i < paths.size(); ++i) out += (i ? ", " : " ") + paths[i].string();
    return out;
}

}  // namespace

namespace interruption {

void end_process(int code, const std::string& cause, long sender, const std::string& advice) {
    static std::atomic<bool> ending{false};
    if (ending.exchange(true))
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // another thread ends it
    const auto removed = io::remove_registered_scratch();
    const auto kept = io::kept_scratch();
    const int rank = this_rank.load();
    std::string message;
    if (rank <= 0) {
        std::string where;
        {
            std::lock_guard lock(location().mutex);
            where = location().where;
        }
        message = "tessera: " + cause;
        if (!where.empty()) message += " at " + where;
        const auto total = tasks_total.load(), done = tasks_done.load();
        if (total > done)
            message += " with " + std::to_string(done) + " of " + std::to_string(total) +
                       " tasks of the running computation done";
        message += paths_text("kept", kept);
        if (!kept.empty()) message += " (rerun with --resume to finish it)";
        message += paths_text("removed", removed) + "; exit code " + std::to_string(code);
        message += advice.empty() ? "\n" : ". " + advice + "\n";
        if (isatty(STDERR_FILENO)) message.insert(0, "\n");  // below the progress bar
    } else if (sender != 0 && sender != getppid()) {
        // The launcher (mpirun's daemon, slurmstepd: this rank's parent) and the terminal signal
        // every rank, and rank 0 speaks for the job. Anyone else signalled this rank alone.
        message = "tessera: rank " + std::to_string(rank) + " " + cause + " from process " +
                  std::to_string(sender) + paths_text("removed", removed) + "\n";
    }
    const ssize_t written = write(STDERR_FILENO, message.data(), message.size());
    (void)written;
    // The first rank to exit ends the job under mpirun: give the workers time for their spill.
    if (rank <= 0 && job_size.load() > 1) std::this_thread::sleep_for(std::chrono::seconds(1));
    _exit(code);  // not exit(): other threads are mid-task, and static destructors would race them
}

}  // namespace interruption

namespace {

/// Takes the signals. With a resumable output in progress the first one asks for a drain (the
/// scheduler ends the job); a second one, or a drain that overstays, ends the process here.
void watch(const sigset_t& set) {
    siginfo_t info{};
    while (sigwaitinfo(&set, &info) < 0) {
    }
    const int sig = info.si_signo;
    const long sender = info.si_code <= 0 ? static_cast<long>(info.si_pid) : 0L;
    int code = 128 + sig;
    if (!io::kept_scratch().empty()) {
        drain_signal.store(sig);
        const timespec wait{static_cast<time_t>(drain_limit.load() + 3), 0};
        while (sigtimedwait(&set, &info, &wait) < 0 && errno == EINTR) {
        }
        // A second signal, or a drain that overstayed: what the ledger recorded stays kept.
        code = kResumableExitCode;
    }
    interruption::end_process(code, "interrupted by " + interruption::signal_name(sig), sender);
}

}  // namespace

void set_driver_location(std::string where) {
    std::lock_guard lock(location().mutex);
    location().where = std::move(where);
}

namespace interruption {

void install() {
    static std::once_flag once;
    std::call_once(once, [] {
        const sigset_t set = interrupting_signals();
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        std::thread([set] { watch(set); }).detach();
    });
}

void set_rank(int rank, int size) {
    this_rank.store(rank);
    job_size.store(size);
}

void note_progress(std::uint64_t done, std::uint64_t total) {
    tasks_done.store(done, std::memory_order_relaxed);
    tasks_total.store(total, std::memory_order_relaxed);
}

std::string signal_name(int sig) {
    switch (sig) {
        case SIGTERM:
            return "SIGTERM";
        case SIGINT:
            return "SIGINT";
        case SIGUSR1:
            return "SIGUSR1";
        case SIGUSR2:
            return "SIGUSR2";
        default:
            return "signal " + std::to_string(sig);
    }
}

void set_drain_seconds(double seconds) { drain_limit.store(seconds); }

int drain_requested() { return drain_signal.load(std::memory_order_relaxed); }

}  // namespace interruption

}  // namespace tessera
