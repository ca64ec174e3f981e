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
};

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
