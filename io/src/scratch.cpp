#include "tessera/io/scratch.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

namespace tessera::io {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSpillPrefix = "tessera-spill-";
constexpr std::string_view kTemporaryInfix = ".tessera-tmp-";

/// This host's name as it appears in scratch names: no '/' and nothing a shell would misread.
std::string host_name() {
    char name[256] = "";
    if (gethostname(name, sizeof name - 1) != 0) return "host";
    std::string out(name);
    for (char& c : out)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
            c = '_';
    return out.empty() ? "host" : out;
}

struct Registry {
    std::mutex mutex;
    std::uint64_t next = 0;
    std::map<std::uint64_t, std::pair<fs::path, OnInterrupt>> paths;
};

/// Never destroyed: a signal may end the job while static destructors run.
Registry& registry() {
    static auto* r = new Registry;
    return *r;
}

/// Splits "HOST-PID" (a host name may itself hold '-'; the pid is what follows the last one).
bool parse_owner(std::string_view owner, Leftover& out) {
    const auto dash = owner.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == owner.size()) return false;
    long pid = 0;
    for (char c : owner.substr(dash + 1)) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || pid > 1'000'000'000) return false;
        pid = pid * 10 + (c - '0');
    }
    out.host = std::string(owner.substr(0, dash));
    out.pid = pid;
    return pid > 0;
}

/// Parses a scratch name; false for anything else.
bool parse_scratch_name(const std::string& name, Leftover& out) {
    std::string_view n(name);
    if (n.starts_with(kSpillPrefix)) {
        n.remove_prefix(kSpillPrefix.size());
        const auto rank = n.rfind("-rank");
        if (rank == std::string_view::npos) return false;
        out.is_spill = true;
        return parse_owner(n.substr(0, rank), out);
    }
    const auto infix = n.rfind(kTemporaryInfix);
    if (infix == std::string_view::npos || infix == 0) return false;
    out.is_spill = false;
    return parse_owner(n.substr(infix + kTemporaryInfix.size()), out);
}

std::uintmax_t bytes_under(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
        const auto size = fs::file_size(p, ec);
        return ec ? 0 : size;
    }
    std::uintmax_t total = 0;
    for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec)) {
            const auto size = it->file_size(size_ec);
            if (!size_ec) total += size;
        }
    }
    return total;
}

/// Only for an owner on this host: another host's processes cannot be asked.
bool owner_has_ended(long pid) {
    if (pid == getpid()) return false;
    return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string scratch_owner() { return host_name() + "-" + std::to_string(getpid()); }

fs::path temporary_output(const fs::path& output) {
    return output.string() + std::string(kTemporaryInfix) + scratch_owner();
}

std::string output_path_problem(const fs::path& output) {
    const std::string path = output.string();
    std::error_code ec;
    if (fs::is_directory(output, ec)) return path + " is a directory";
    const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
    if (!fs::is_directory(dir, ec))
        return "the directory " + dir.string() + " of " + path + " does not exist";
    if (access(dir.c_str(), W_OK) != 0)
        return "the directory " + dir.string() + " of " + path + " is not writable";
    return {};
}

fs::path default_scratch_directory() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? fs::path(tmp) : fs::path("/tmp");
}

ScratchGuard::ScratchGuard(fs::path path, OnInterrupt on) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    id_ = r.next++;
    r.paths.emplace(*id_, std::make_pair(std::move(path), on));
}

ScratchGuard::~ScratchGuard() {
    if (!id_) return;
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.paths.erase(*id_);
}

ScratchGuard::ScratchGuard(ScratchGuard&& other) noexcept : id_(other.id_) { other.id_.reset(); }

ScratchGuard& ScratchGuard::operator=(ScratchGuard&& other) noexcept {
    std::swap(id_, other.id_);
    return *this;
}

std::vector<fs::path> remove_registered_scratch() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<fs::path> removed;
    for (const auto& [id, entry] : r.paths) {
        const auto& [path, on] = entry;
        std::error_code ec;
        if (on == OnInterrupt::kKeep || !fs::exists(fs::symlink_status(path, ec))) continue;
        // A worker thread may still be writing a spill file into a directory being removed.
        for (int attempt = 0; attempt < 3 && fs::exists(fs::symlink_status(path, ec)); ++attempt)
            fs::remove_all(path, ec);
        removed.push_back(path);
    }
    std::erase_if(r.paths, [](const auto& e) { return e.second.second == OnInterrupt::kRemove; });
    return removed;
}

std::vector<fs::path> kept_scratch() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<fs::path> kept;
    for (const auto& [id, entry] : r.paths) {
        std::error_code ec;
        if (entry.second == OnInterrupt::kKeep && fs::exists(entry.first, ec) &&
            std::find(kept.begin(), kept.end(), entry.first) == kept.end())
            kept.push_back(entry.first);
    }
    return kept;
}

std::vector<Leftover> find_scratch(const fs::path& dir) {
    std::vector<Leftover> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        Leftover l;
        if (!parse_scratch_name(it->path().filename().string(), l)) continue;
        l.path = it->path();
        l.bytes = bytes_under(l.path);
        l.on_this_host = l.host == host_name();
        l.abandoned = l.on_this_host && owner_has_ended(l.pid);
        out.push_back(std::move(l));
    }
    return out;
}

std::uintmax_t remove_abandoned_spill(const fs::path& dir) {
    std::uintmax_t removed = 0;
    for (const auto& l : find_scratch(dir)) {
        if (!l.is_spill || !l.abandoned) continue;
        std::error_code ec;
        fs::remove_all(l.path, ec);  // another rank of this node may be removing it too
        if (!ec) removed += l.bytes;
    }
    return removed;
}

}  // namespace tessera::io
