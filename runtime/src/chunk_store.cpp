#include "chunk_store.hpp"

#include <algorithm>

namespace tessera {

ChunkStore::ChunkStore(std::size_t memory_limit, io::SpillDirectory spill)
    : memory_limit_(memory_limit), spill_(std::move(spill)) {}

void ChunkStore::put(std::uint64_t key, SharedBytes data, bool owned) {
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    if (!inserted) {
        // A fetched copy of a result this worker now owns (or a repeated fetch): keep one entry.
        e.owned = e.owned || owned;
        return;
    }
    e.nbytes = data->size();
    e.data = std::move(data);
    e.owned = owned;
    lru_.push_front(key);
    e.lru = lru_.begin();
    memory_bytes_ += e.nbytes;
    peak_memory_ = std::max(peak_memory_, memory_bytes_);
    spill_until_below_target();
}

SharedBytes ChunkStore::get(std::uint64_t key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    Entry& e = it->second;
    if (!e.data) {
        e.data = std::make_shared<const Bytes>(spill_.read(key));
        lru_.push_front(key);
        e.lru = lru_.begin();
        memory_bytes_ += e.nbytes;
        peak_memory_ = std::max(peak_memory_, memory_bytes_);
        SharedBytes data = e.data;  // hold it: spilling below must not pick this entry
        ++e.pins;
        spill_until_below_target();
        --e.pins;
        return data;
    }
    touch(e, key);
    return e.data;
}

bool ChunkStore::owned(std::uint64_t key) const {
    auto it = entries_.find(key);
    return it != entries_.end() && it->second.owned;
}

void ChunkStore::erase(std::uint64_t key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    if (e.data) {
        memory_bytes_ -= e.nbytes;
        lru_.erase(e.lru);
    }
    if (e.on_disk) spill_.remove(key);
    entries_.erase(it);
}

void ChunkStore::disown(std::uint64_t key) {
    auto it = entries_.find(key);
    if (it != entries_.end()) it->second.owned = false;
}

void ChunkStore::pin(std::uint64_t key) {
    auto it = entries_.find(key);
    if (it != entries_.end()) ++it->second.pins;
}

void ChunkStore::unpin(std::uint64_t key) {
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.pins > 0) --it->second.pins;
}

void ChunkStore::touch(Entry& e, std::uint64_t key) {
    if (e.lru != lru_.begin()) {
        lru_.erase(e.lru);
        lru_.push_front(key);
        e.lru = lru_.begin();
    }
}

void ChunkStore::spill_until_below_target() {
    const auto target = static_cast<std::size_t>(kSpillTarget * static_cast<double>(memory_limit_));
    auto it = lru_.end();
    while (memory_bytes_ > target && it != lru_.begin()) {
        --it;
        Entry& e = entries_.at(*it);
        if (e.pins > 0 || e.nbytes == 0) continue;
        if (!e.on_disk) {
            spill_.write(*it, *e.data);
            e.on_disk = true;
            spill_bytes_ += e.nbytes;
        }
        ++spills_;
        memory_bytes_ -= e.nbytes;
        e.data.reset();
        it = lru_.erase(it);
    }
}

}  // namespace tessera
