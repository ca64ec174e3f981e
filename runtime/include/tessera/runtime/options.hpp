#pragma once
// Settings of a tessera job. Every rank must be given the same options (SPMD: parse the same
// argv on every rank); workers read the memory and spill settings, rank 0 the rest.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tessera {

enum class ProgressMode { kAuto, kBar, kLines, kNone };

struct RuntimeOptions {
    /// Bytes a worker keeps in memory before spilling to local_dir. 0: a share of the node's
    /// memory (80% of it divided by the ranks on the node).
    std::size_t memory_limit = 0;
    /// Node-local scratch for spilled chunks. Empty: $TMPDIR, else /tmp.
    std::string local_dir;
    /// OpenMP threads per worker rank. 0: the OpenMP default (OMP_NUM_THREADS).
    int threads = 0;
    /// kAuto: a bar on a terminal, periodic lines otherwise (batch logs).
    ProgressMode progress = ProgressMode::kAuto;
    /// Write a Chrome/Perfetto trace of every task and transfer here at the end of the job.
    std::string trace_path;
    /// Write a self-contained HTML report (task stream, time per operation, transfers, memory
    /// and spill over time) here at the end of the job.
    std::string report_path;
    /// Print a summary (tasks, transfers, spill, time per function) on rank 0 at the end.
    bool summary = false;
    /// Bytes a worker sends to each other worker per round of a collective exchange (rechunk):
    /// bounds the memory an exchange takes beyond the blocks themselves.
    std::size_t exchange_round_bytes = std::size_t{256} << 20;

    // Batch-job resilience (docs/architecture.md, "Resilience").
    /// Continue the outputs an interrupted run of the same script left (out.h5.partial and its
    /// ledger): only the chunks not recorded are computed. A changed script or input is refused.
    bool resume = false;
    /// Seconds from the start of the job to its walltime; 0: none. Near it the scheduler stops
    /// issuing tasks that would not finish, keeps the outputs resumable and exits with
    /// kResumableExitCode. Defaults from SLURM_JOB_END_TIME or PBS_WALLTIME (walltime_from_env).
    double walltime_seconds = 0;
    /// A worker with tasks that sends nothing for this long is taken to be stalled (a hung file
    /// system, a stopped process) and the job is ended, naming it. 0: wait for ever.
    double heartbeat_timeout_seconds = 30;
    /// How often a task that fails with an I/O error (HDF5 read or write) is tried again before
    /// its failure is final.
    int io_retries = 3;
    /// After SIGTERM, SIGUSR1 or SIGUSR2 a job with resumable outputs stops issuing tasks and
    /// waits this long for the running ones before it ends (Slurm's default KillWait is 30 s).
    double drain_seconds = 20;
};

/// The exit code of a job that stopped early with its outputs resumable (EX_TEMPFAIL): rerun it
/// with --resume (a jobscript requeues on it).
inline constexpr int kResumableExitCode = 75;

/// Parses "HH:MM:SS", "MM:SS", "D-HH:MM:SS" (Slurm's forms) or plain seconds. Throws UsageError.
double parse_duration(std::string_view text);
/// Seconds left of the batch job's walltime from this process's start, read from the batch
/// system: SLURM_JOB_END_TIME (Unix time), else PBS_WALLTIME (seconds). 0 when neither is set.
double walltime_from_env();

/// Parses "4GB", "512MiB", "1e9", "2 G" (decimal and binary units). Throws UsageError.
std::size_t parse_bytes(std::string_view text);
/// Parses "auto", "bar", "lines", "none". Throws UsageError.
ProgressMode parse_progress_mode(std::string_view text);
/// "1.5 GiB" and the like, for messages.
std::string format_bytes(double bytes);

/// The rank this process will have in MPI_COMM_WORLD, read from the launcher's environment
/// before MPI is initialised (mpirun, srun, mpiexec/PMI). Lets only rank 0 print usage errors
/// found while parsing the command line. Empty when not launched by a known launcher.
std::optional<int> launcher_rank();

}  // namespace tessera
