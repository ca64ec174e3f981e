#pragma once
// Node-local scratch files for chunks that a worker spills out of memory. One directory per rank,
// created on first use under the configured local directory and removed with everything in it
// when the object is destroyed, or when a signal ends the job (io/scratch.hpp: its name carries the
// host and process, so what a SIGKILL leaves is found and removed later). Not thread-safe: the
// owning chunk store serialises calls.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tessera/io/scratch.hpp"
#include "tessera/kernels/buffer.hpp"

namespace tessera::io {

class SpillDirectory {
public:
    /// `base` is the node-local scratch (e.g. --local-dir or $TMPDIR); `tag` makes the
    /// directory name unique within the process ("rank3"): base/tessera-spill-HOST-PID-TAG.
    SpillDirectory(std::filesystem::path base, const std::string& tag);
    ~SpillDirectory();
    SpillDirectory(const SpillDirectory&) = delete;
    SpillDirectory& operator=(const SpillDirectory&) = delete;
    SpillDirectory(SpillDirectory&& other) noexcept;
    SpillDirectory& operator=(SpillDirectory&&) = delete;

    /// Writes the bytes of `key`; throws tessera::io::IoError naming the file on failure
    /// (a full disk, an unwritable directory).
    void write(std::uint64_t key, const Bytes& bytes);
    /// Reads back the file of `key`; the file stays until remove().
    Bytes read(std::uint64_t key);
    /// Deletes the file of `key` if there is one.
    void remove(std::uint64_t key);

    const std::filesystem::path& path() const { return dir_; }

private:
    std::filesystem::path file_of(std::uint64_t key) const;
    void ensure_created();

    std::filesystem::path base_;
    std::filesystem::path dir_;
    bool created_ = false;
    ScratchGuard guard_;  // removed by an interruption while it exists
};

}  // namespace tessera::io
