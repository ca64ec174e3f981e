#pragma once
// The progress display on rank 0, on stderr: a bar redrawn in place on a terminal, a plain line
// every 10 s in a batch log. A display starts when work is outstanding and ends when all
// submitted tasks have finished; it stays quiet for bursts shorter than half a second.
#include <chrono>
#include <cstdint>

#include "tessera/runtime/options.hpp"

namespace tessera {

class ProgressDisplay {
public:
    explicit ProgressDisplay(ProgressMode mode);
    /// Cheap to call often: it draws only when its interval has passed.
    void update(std::uint64_t done, std::uint64_t total);

private:
    void draw(std::uint64_t done, std::uint64_t total, bool final);
    bool active_ = false;
    ProgressMode mode_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    bool drawn_ = false;
    std::uint32_t calls_ = 0;
};

}  // namespace tessera
