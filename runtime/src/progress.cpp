#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace tessera {

namespace {
constexpr auto kQuietPeriod = std::chrono::milliseconds(500);
constexpr auto kBarInterval = std::chrono::milliseconds(100);
constexpr auto kLineInterval = std::chrono::seconds(10);
}  // namespace

ProgressDisplay::ProgressDisplay(ProgressMode mode) : mode_(mode) {
    if (mode_ == ProgressMode::kAuto)
        mode_ = isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kLines;
}

void ProgressDisplay::update(std::uint64_t done, std::uint64_t total) {
    if (mode_ == ProgressMode::kNone) return;
    if (!active_) {
        if (done >= total) return;
        active_ = true;
        drawn_ = false;
        start_ = last_draw_ = std::chrono::steady_clock::now();
        return;
    }
    if (done >= total) {
        active_ = false;
        if (drawn_ || std::chrono::steady_clock::now() - start_ >= kQuietPeriod)
            draw(done, total, true);
        return;
    }
    if ((++calls_ & 63) != 0) return;  // clock reads are not free
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < kQuietPeriod) return;
    const auto interval =
        mode_ == ProgressMode::kBar
            ? std::chrono::duration_cast<std::chrono::milliseconds>(kBarInterval)
            : std::chrono::duration_cast<std::chrono::milliseconds>(kLineInterval);
    if (drawn_ && now - last_draw_ < interval) return;
    last_draw_ = now;
    draw(done, total, false);
}

void ProgressDisplay::draw(std::uint64_t done, std::uint64_t total, bool final) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    if (mode_ == ProgressMode::kBar) {
        constexpr int kWidth = 40;
        const int filled = static_cast<int>(fraction * kWidth);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(kWidth, ' ');
        std::fprintf(stderr, "\r[%s] %3d%% %llu/%llu tasks %.1f s%s", bar.c_str(),
                     static_cast<int>(fraction * 100), static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total), seconds, final ? "\n" : "");
    } else {
        std::fprintf(stderr, "[tessera] %3d%% %llu/%llu tasks %.1f s\n",
                     static_cast<int>(fraction * 100), static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(total), seconds);
    }
    std::fflush(stderr);
    drawn_ = true;
}

}  // namespace tessera
