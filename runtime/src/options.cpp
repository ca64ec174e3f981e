#include "tessera/runtime/options.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

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

double parse_duration(std::string_view text) {
    const std::string s(text);
    auto refuse = [&s]() -> double {
        throw UsageError("'" + s +
                         "' is not a duration; use HH:MM:SS, MM:SS, D-HH:MM:SS or seconds");
    };
    std::string rest = s;
    double days = 0;
    if (const auto dash = rest.find('-'); dash != std::string::npos) {
        char* end = nullptr;
        days = std::strtod(rest.c_str(), &end);
        if (end != rest.c_str() + dash || !(days >= 0)) return refuse();
        rest = rest.substr(dash + 1);
    }
    std::vector<double> fields;
    std::size_t at = 0;
    for (;;) {
        const auto colon = rest.find(':', at);
        const std::string field = rest.substr(at, colon == std::string::npos ? colon : colon - at);
        char* end = nullptr;
        const double v = std::strtod(field.c_str(), &end);
        if (field.empty() || *end != '\0' || !(v >= 0) || !std::isfinite(v)) return refuse();
        fields.push_back(v);
        if (colon == std::string::npos) break;
        at = colon + 1;
    }
    if (fields.size() > 3 || (days > 0 && fields.size() < 2)) return refuse();
    double seconds = 0;
    for (double f : fields) seconds = seconds * 60 + f;
    if (fields.size() == 2 && days > 0) seconds *= 60;  // D-HH:MM
    return days * 86400 + seconds;
}

double walltime_from_env() {
    if (const char* end = std::getenv("SLURM_JOB_END_TIME")) {
        const double left = std::strtod(end, nullptr) - static_cast<double>(std::time(nullptr));
        if (left > 0) return left;
    }
    if (const char* walltime = std::getenv("PBS_WALLTIME")) {
        const double seconds = std::strtod(walltime, nullptr);
        if (seconds > 0) return seconds;
    }
    return 0;
}

std::optional<int> launcher_rank() {
    for (const char* name :
         {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID", "PALS_RANKID"}) {
        if (const char* v = std::getenv(name)) return std::atoi(v);
    }
    return std::nullopt;
}

}  // namespace tessera
