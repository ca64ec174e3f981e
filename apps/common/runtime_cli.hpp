#pragma once
// The command-line flags every tessera program shares, parsed the same way on every rank.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "tessera/io/scratch.hpp"
#include "tessera/runtime/error.hpp"
#include "tessera/runtime/options.hpp"

namespace tessera::apps {

/// A file the job will write at its end (a trace, a report, a graph): checked when the command
/// line is parsed, so a typo costs a usage error (exit 2) instead of the whole run.
inline const CLI::Validator& output_file() {
    static const CLI::Validator v(
        [](std::string& path) -> std::string { return io::output_path_problem(path); }, "FILE");
    return v;
}

/// Adds --memory-limit, --local-dir, --threads, --progress, --trace, --report, --summary and the
/// resilience options (--resume, --walltime, --heartbeat-timeout, --io-retries, --drain-time) to
/// `app`, filling `options` when parsed.
inline void add_runtime_options(CLI::App& app, RuntimeOptions& options) {
    app.add_option_function<std::string>(
           "--memory-limit",
           [&options](const std::string& s) { options.memory_limit = parse_bytes(s); },
           "Memory per worker before it spills to --local-dir (e.g. 2GB; default: 80% of the node "
           "shared by its ranks)")
        ->envname("TESSERA_MEMORY_LIMIT");
    app.add_option("--local-dir", options.local_dir,
                   "Node-local scratch for spilled chunks (default: $TMPDIR or /tmp)")
        ->envname("TESSERA_LOCAL_DIR");
    app.add_option("--threads", options.threads,
                   "OpenMP threads per rank (default: OMP_NUM_THREADS)")
        ->check(CLI::NonNegativeNumber);
    app.add_option_function<std::string>(
        "--progress",
        [&options](const std::string& s) { options.progress = parse_progress_mode(s); },
        "auto (a bar on a terminal, lines in a batch log), bar, lines or none");
    app.add_option("--trace", options.trace_path,
                   "Write a Chrome/Perfetto trace (JSON) of every task and transfer")
        ->check(output_file())
        ->type_name("FILE.json");
    app.add_option("--report", options.report_path,
                   "Write an HTML report of the job (task stream, operations, transfers, memory)")
        ->check(output_file())
        ->type_name("FILE.html");
    app.add_flag("--summary", options.summary,
                 "Print tasks, transfers, spill and time per function at the end");
    app.add_flag("--resume", options.resume,
                 "Finish the outputs an interrupted run of the same script left (OUT.partial): "
                 "only the chunks its ledger does not record are computed");
    app.add_option_function<std::string>(
           "--walltime",
           [&options](const std::string& s) { options.walltime_seconds = parse_duration(s); },
           "The job's time limit (HH:MM:SS; default: from SLURM_JOB_END_TIME or PBS_WALLTIME): "
           "before it, stop starting tasks and exit 75 with the outputs resumable")
        ->type_name("TIME");
    app.add_option_function<std::string>(
           "--heartbeat-timeout",
           [&options](const std::string& s) {
               options.heartbeat_timeout_seconds = parse_duration(s);
           },
           "End the job when a worker with tasks is silent this long (seconds or MM:SS; 0: never)")
        ->type_name("TIME")
        ->default_str("30");
    app.add_option("--io-retries", options.io_retries,
                   "Tries again of a task whose HDF5 read or write fails")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option_function<std::string>(
           "--drain-time",
           [&options](const std::string& s) { options.drain_seconds = parse_duration(s); },
           "After SIGTERM/SIGUSR1/SIGUSR2, wait this long for running tasks before ending with "
           "the outputs resumable")
        ->type_name("TIME")
        ->default_str("20");
}

/// The exit code of a usage error on this process. Every rank parses the same argv, so only the
/// launch rank 0 reports the error and exits 2; the others exit 0, because mpirun kills the whole
/// job as soon as one process exits non-zero, which could be before rank 0 has written its message.
inline int usage_error_code() { return launcher_rank().value_or(0) == 0 ? 2 : 0; }

/// Parses argv; on a usage error prints the message on the launch rank 0 only and returns the exit
/// code, else nullopt.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::ParseError& e) {
        if (launcher_rank().value_or(0) != 0)
            return e.get_exit_code() == 0 ? 0 : usage_error_code();
        const int code = app.exit(e);
        return code == 0 ? 0 : usage_error_code();
    } catch (const tessera::Error& e) {
        if (launcher_rank().value_or(0) == 0) std::cerr << "tessera: error: " << e.what() << '\n';
        return usage_error_code();
    }
}

}  // namespace tessera::apps
