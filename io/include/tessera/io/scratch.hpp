#pragma once
// What a job writes that is not a result: temporary outputs (renamed into place once whole) and
// spill directories. Each is registered while it exists, so that an interrupted job removes it
// (remove_registered_scratch, called when a signal ends the job), and each name carries its owner,
// the host and process that made it, so that a later job or `tessera clean` can tell what a killed
// job (SIGKILL, a lost node) left behind from what a running job still uses:
//
//   DIR/tessera-spill-HOST-PID-rankR/        a worker's spill directory
//   OUT.tessera-tmp-HOST-PID                 an output being written
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tessera::io {

/// "HOST-PID" of this process, the owner part of every scratch name it makes.
std::string scratch_owner();

/// The temporary name an output is written under before the rename that makes it whole.
std::filesystem::path temporary_output(const std::filesystem::path& output);

/// What would stop a file being written at `output` at the end of a job: "P is a directory",
/// "the directory D of P does not exist" or "... is not writable"; empty if nothing. Checked
/// before the job runs (to_hdf5, --trace, --report, --graph), not after it.
std::string output_path_problem(const std::filesystem::path& output);

/// Where scratch goes unless the job says otherwise (--local-dir): $TMPDIR, or /tmp.
std::filesystem::path default_scratch_directory();

/// What an interrupted job does with a registered path.
enum class OnInterrupt {
    kRemove,  // scratch: removed
    kKeep,    // a resumable partial output (out.h5.partial and its ledger): kept and named
};

/// Registers a path (a file, or a directory with everything in it) for removal (or keeping) if
/// the job is interrupted, for as long as the guard lives. The guard does not remove it itself.
class ScratchGuard {
public:
    ScratchGuard() = default;
    explicit ScratchGuard(std::filesystem::path path, OnInterrupt on = OnInterrupt::kRemove);
    ~ScratchGuard();
    ScratchGuard(ScratchGuard&& other) noexcept;
    ScratchGuard& operator=(ScratchGuard&& other) noexcept;
    ScratchGuard(const ScratchGuard&) = delete;
    ScratchGuard& operator=(const ScratchGuard&) = delete;

private:
    std::optional<std::uint64_t> id_;
};

/// Removes every registered path, and returns those that existed. Thread-safe; for the end of an
/// interrupted job (the process exits right after).
std::vector<std::filesystem::path> remove_registered_scratch();
/// The registered paths to keep (OnInterrupt::kKeep) that exist.
std::vector<std::filesystem::path> kept_scratch();

/// A spill directory or temporary output found in a directory, with its owner.
struct Leftover {
    std::filesystem::path path;
    bool is_spill = false;  // else a temporary output
    std::string host;
    long pid = 0;
    std::uintmax_t bytes = 0;
    bool on_this_host = false;
    /// The owner is on this host and no longer runs: nothing can be using it.
    bool abandoned = false;
};

/// The scratch entries directly in `dir` (not recursive); none if `dir` cannot be listed.
std::vector<Leftover> find_scratch(const std::filesystem::path& dir);

/// Removes the spill directories in `dir` whose owner no longer runs on this host (what killed
/// jobs left); returns the bytes removed. Never throws: this is housekeeping.
std::uintmax_t remove_abandoned_spill(const std::filesystem::path& dir);

}  // namespace tessera::io
