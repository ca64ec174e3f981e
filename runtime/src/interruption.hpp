#pragma once
// The end of a job by a signal: SIGTERM and SIGINT (scancel, qdel, Ctrl-C, mpirun passing on its
// own), SIGUSR1 and SIGUSR2 (what `sbatch --signal` and PBS send before the walltime). The signals
// are blocked in every thread and taken by one watcher thread, which may do what a handler may
// not: it removes the process's registered scratch (temporary outputs, spill directories:
// io/scratch.hpp), prints one message on rank 0 saying which signal came and where the job was,
// and ends the process with 128 + the signal's number, the shell's convention for "interrupted".
//
// Launchers signal every rank at once: mpirun (Open MPI 4.1) sends SIGTERM after
// odls_base_sigkill_timeout seconds (default 1) and kills the job as soon as a rank exits, so
// rank 0 lingers a second for the workers to remove their spill. Whatever a SIGKILL still cuts
// short carries its owner's name, and the next job's workers or `tessera clean` remove it.
#include <cstdint>

namespace tessera::interruption {

/// Blocks the signals in the calling thread and starts the watcher. Call before any other thread
/// starts (MPI and OpenMP start their own, which inherit the blocked set); once per process.
void install();
/// This process's rank and the job's size once MPI knows them (until then it reports as a
/// one-rank job would).
void set_rank(int rank, int size);
/// Rank 0's progress through the current computation, named in the message.
void note_progress(std::uint64_t done, std::uint64_t total);

}  // namespace tessera::interruption
