// tessera clean: removes the spill directories and temporary outputs that killed jobs left (a
// SIGKILL, a lost node, a walltime with no grace), and keeps what a running job still uses.
#include <iostream>

#include "commands.hpp"
#include "tessera/io/scratch.hpp"

namespace tessera::apps {

int clean_scratch(const CleanRequest& request) {
    int failures = 0;
    for (const auto& dir : request.directories) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            std::cerr << "tessera clean: " << dir << " is not a directory\n";
            failures = 1;
            continue;
        }
        const auto found = io::find_scratch(dir);
        if (found.empty()) std::cout << "nothing to clean in " << dir << '\n';
        for (const auto& l : found) {
            const std::string what = (l.is_spill ? "spill directory " : "temporary output ") +
                                     l.path.string() + " (" +
                                     format_bytes(static_cast<double>(l.bytes)) + ", made by " +
                                     "process " + std::to_string(l.pid) + " on " + l.host + ")";
            if (l.on_this_host && !l.abandoned) {
                std::cout << "kept " << what << ": that process still runs\n";
                continue;
            }
            if (!l.on_this_host && !request.any_host) {
                std::cout << "kept " << what
                          << ": made on another host; clean it there, or give --any-host\n";
                continue;
            }
            if (request.dry_run) {
                std::cout << "would remove " << what << '\n';
                continue;
            }
            std::filesystem::remove_all(l.path, ec);
            if (ec) {
                std::cerr << "tessera clean: cannot remove " << l.path.string() << ": "
                          << ec.message() << '\n';
                failures = 1;
            } else {
                std::cout << "removed " << what << '\n';
            }
        }
    }
    return failures;
}

}  // namespace tessera::apps
