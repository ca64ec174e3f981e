#pragma once
// A worker's results, byte-accounted. Above the spill target (60% of the memory limit, as in
// Dask) the least recently used unpinned results are written to node-local scratch and read
// back on demand. Pinned results (inputs of the running task) never move. Results never
// change, so a reloaded result keeps its file: spilling it again only drops it from memory.
// Not thread-safe: only the worker's progress thread uses it.
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

#include "tessera/io/spill_directory.hpp"
#include "tessera/runtime/codec.hpp"

namespace tessera {

class ChunkStore {
public:
    static constexpr double kSpillTarget = 0.6;

    ChunkStore(std::size_t memory_limit, io::SpillDirectory spill);

    /// Adds a result; `owned` results stay until erase(), others (copies fetched from peers)
    /// may be dropped by the worker when no local task needs them.
    void put(std::uint64_t key, SharedBytes data, bool owned);
    /// The result, reloaded from scratch if it was spilled; null if absent.
    SharedBytes get(std::uint64_t key);
    bool contains(std::uint64_t key) const { return entries_.count(key) != 0; }
    bool owned(std::uint64_t key) const;
    void erase(std::uint64_t key);
    /// Turns an owned result into a droppable copy (the scheduler released it while a queued
    /// local task still reads it).
    void disown(std::uint64_t key);
    void pin(std::uint64_t key);
    void unpin(std::uint64_t key);

    std::size_t memory_bytes() const { return memory_bytes_; }
    std::size_t memory_limit() const { return memory_limit_; }
    std::size_t peak_memory() const { return peak_memory_; }
    std::uint64_t spills() const { return spills_; }
    std::uint64_t spill_bytes() const { return spill_bytes_; }
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        SharedBytes data;  // null while spilled
        std::size_t nbytes = 0;
        bool on_disk = false;  // written to a spill file (which stays until erase)
        int pins = 0;
        bool owned = false;
        std::list<std::uint64_t>::iterator lru;  // valid while in memory
    };
    void touch(Entry& e, std::uint64_t key);
    void spill_until_below_target();

    std::size_t memory_limit_;
    io::SpillDirectory spill_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::list<std::uint64_t> lru_;  // front: most recently used, in-memory entries only
    std::size_t memory_bytes_ = 0;
    std::size_t peak_memory_ = 0;
    std::uint64_t spills_ = 0;
    std::uint64_t spill_bytes_ = 0;
};

}  // namespace tessera
