#pragma once
// The end of a job by a signal: SIGTERM and SIGINT (scancel, qdel, Ctrl-C, mpirun passing on its
// own), SIGUSR1 and SIGUSR2 (what `sbatch --signal` and PBS send before the walltime). The signals
// are blocked in every thread and taken by one watcher thread, which may do what a handler may
// not: it removes the process's registered scratch (temporary outputs, spill directories:
// io/scratch.hpp), prints one message on rank 0 saying which signal came and where the job was,
// and ends the process with 128 + the signal's number, the shell's convention for "interrupted".
//
// A job with a resumable output in progress (io::OnInterrupt::kKeep: out.h5.partial and its
// ledger) drains instead: the scheduler stops issuing tasks, waits up to drain_seconds for the
// running ones, and ends every rank with kResumableExitCode, keeping the partial output. A second
// signal, or a drain that is not over in time, ends the process at once.
//
// Launchers signal every rank at once: mpirun (Open MPI 4.1) sends SIGTERM after
// odls_base_sigkill_timeout seconds (default 1) and kills the job as soon as a rank exits, so
// rank 0 lingers a second for the workers to remove their spill. Whatever a SIGKILL still cuts
// short carries its owner's name, and the next job's workers or `tessera clean` remove it.
#include <cstdint>
#include <string>

namespace tessera::interruption {

/// Blocks the signals in the calling thread and starts the watcher. Call before any other thread
/// starts (MPI and OpenMP start their own, which inherit the blocked set); once per process.
void install();
/// This process's rank and the job's size once MPI knows them (until then it reports as a
/// one-rank job would).
void set_rank(int rank, int size);
/// Rank 0's progress through the current computation, named in the message.
void note_progress(std::uint64_t done, std::uint64_t total);
/// How long a drain may wait for running tasks (RuntimeOptions::drain_seconds).
void set_drain_seconds(double seconds);
/// The signal that asked for a drain, or 0.
int drain_requested();
/// "SIGTERM" and the like.
std::string signal_name(int sig);
/// Ends this process: removes its registered scratch, and on rank 0 prints one line
/// ("tessera: CAUSE at FILE:LINE with D of T tasks ... done; kept ...; removed ...; exit code N.
/// ADVICE"). `sender` is the process that sent a signal (0: none, or the kernel). Thread-safe:
/// the first caller ends the process, later ones wait for it.
[[noreturn]] void end_process(int code, const std::string& cause, long sender = 0,
                              const std::string& advice = "");

}  // namespace tessera::interruption
