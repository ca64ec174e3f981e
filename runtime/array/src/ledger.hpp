#pragma once
// The ledger of a resumable output: OUT.partial.ledger beside OUT.partial, the file to_hdf5
// writes before renaming it to OUT. Its header says which computation writes the file (the
// datasets, the digest of each one's expression, the identity of every input: fingerprint.hpp);
// then rank 0 appends one line per block as soon as its worker reports the write done, with one
// write(2) each, so a killed job leaves every finished block recorded. A torn last line is
// ignored. A rerun with --resume compares headers, says what changed if anything did, and writes
// only the blocks not recorded.
#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tessera/array.hpp"

namespace tessera::detail {

class OutputLedger {
public:
    struct Block {
        std::int64_t dataset = 0;
        std::int64_t index = 0;  // row-major over the dataset's chunk grid
        auto operator<=>(const Block&) const = default;
    };
    struct Contents {
        std::string header;
        std::set<Block> written;
    };

    /// The header for writing `datasets` (names as written, with their leading '/').
    static std::string header(const std::vector<std::pair<std::string, Array>>& datasets);
    /// A short digest of a header (hex), kept in the finished file's root attribute.
    static std::string digest(const std::string& header);
    /// What differs between the recorded header and this run's, in words; empty when nothing.
    static std::string differences(const std::string& recorded, const std::string& now);
    /// The ledger at `path`; nullopt when it is missing or has no complete header.
    static std::optional<Contents> read(const std::filesystem::path& path);

    /// Opens `path` to append: a fresh ledger (truncated, the header written) or a continued one.
    OutputLedger(std::filesystem::path path, const std::string& header, bool fresh);
    ~OutputLedger();
    OutputLedger(const OutputLedger&) = delete;
    OutputLedger& operator=(const OutputLedger&) = delete;

    void record(Block block);
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace tessera::detail
