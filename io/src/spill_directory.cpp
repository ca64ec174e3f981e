#include "tessera/io/spill_directory.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "tessera/io/io_error.hpp"

namespace tessera::io {

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string reason() { return std::strerror(errno); }

}  // namespace

SpillDirectory::SpillDirectory(std::filesystem::path base, const std::string& tag)
    : base_(std::move(base)), dir_(base_ / ("tessera-spill-" + scratch_owner() + "-" + tag)) {}

SpillDirectory::SpillDirectory(SpillDirectory&& other) noexcept
    : base_(std::move(other.base_)),
      dir_(std::move(other.dir_)),
      created_(other.created_),
      guard_(std::move(other.guard_)) {
    other.created_ = false;  // the moved-from object must not delete the directory
}

SpillDirectory::~SpillDirectory() {
    if (!created_) return;
    std::error_code ignored;  // best effort: a destructor must not throw
    std::filesystem::remove_all(dir_, ignored);
}

void SpillDirectory::ensure_created() {
    if (created_) return;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw IoError("cannot create spill directory " + dir_.string() + ": " + ec.message());
    created_ = true;
    guard_ = ScratchGuard(dir_);
}

std::filesystem::path SpillDirectory::file_of(std::uint64_t key) const {
    return dir_ / (std::to_string(key) + ".chunk");
}

void SpillDirectory::write(std::uint64_t key, const Bytes& bytes) {
    ensure_created();
    const auto path = file_of(key);
    File f(std::fopen(path.c_str(), "wb"));
    if (!f) throw IoError("cannot open spill file " + path.string() + ": " + reason());
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
        throw IoError("cannot write spill file " + path.string() + ": " + reason());
    if (std::fclose(f.release()) != 0)
        throw IoError("cannot close spill file " + path.string() + ": " + reason());
}

Bytes SpillDirectory::read(std::uint64_t key) {
    const auto path = file_of(key);
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) throw IoError("cannot open spill file " + path.string() + ": " + reason());
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw IoError("cannot stat spill file " + path.string() + ": " + ec.message());
    Bytes bytes(size);
    if (size > 0 && std::fread(bytes.data(), 1, size, f.get()) != size)
        throw IoError("cannot read spill file " + path.string() + ": " + reason());
    return bytes;
}

void SpillDirectory::remove(std::uint64_t key) {
    std::error_code ignored;
    std::filesystem::remove(file_of(key), ignored);
}

}  // namespace tessera::io
