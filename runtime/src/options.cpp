#include "tessera/runtime/options.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tessera/runtime/error.hpp"

namespace tessera {

std::size_t parse_bytes(std::string_view text) {
    const std::string s(text);
    const char* begin = s.c_str();
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    if (end == begin || !(value >= 0) || !std::isfinite(value))
        throw UsageError("'" + s + "' is not a size; use e.g. 4GB, 512MiB or 1e9");
    std::string unit;
    for (const char* p = end; *p; ++p)
        if (!std::isspace(static_cast<unsigned char>(*p)))
            unit += static_cast<char>(std::tolower(*p));
    double scale = 0;
    if (unit.empty() || unit == "b")
        scale = 1;
    else if (unit == "k" || unit == "kb")
        scale = 1e3;
    else if (unit == "m" || unit == "mb")
        scale = 1e6;
    else if (unit == "g" || unit == "gb")
        scale = 1e9;
    else if (unit == "t" || unit == "tb")
        scale = 1e12;
    else if (unit == "kib")
        scale = 1024.0;
    else if (unit == "mib")
        scale = 1024.0 * 1024;
    else if (unit == "gib")
        scale = 1024.0 * 1024 * 1024;
    else if (unit == "tib")
        scale = 1024.0 * 1024 * 1024 * 1024;
    else
        throw UsageError("unknown size unit '" + unit + "' in '" + s +
                         "'; use B, KB, MB, GB, KiB, MiB, GiB");
    return static_cast<std::size_t>(value * scale);
}

ProgressMode parse_progress_mode(std::string_view text) {
    if (text == "auto") return ProgressMode::kAuto;
    if (text == "bar") return ProgressMode::kBar;
    if (text == "lines") return ProgressMode::kLines;
    if (text == "none") return ProgressMode::kNone;
    throw UsageError("progress mode '" + std::string(text) +
                     "' is not one of auto, bar, lines, none");
}

std::string format_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

std::optional<int> launcher_rank() {
    for (const char* name :
         {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID", "PALS_RANKID"}) {
        if (const char* v = std::getenv(name)) return std::atoi(v);
    }
    return std::nullopt;
}

}  // namespace tessera
