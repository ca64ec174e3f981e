// The in-process worker group: members are threads, and every collective is one all-to-all
// rendezvous of byte strings in memory (reductions and scans decode what every member sent and
// combine it in rank order, as the MPI group's results must equal).
#include "tessera/runtime/worker_group.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "tessera/runtime/error.hpp"

namespace tessera {

namespace {

/// All members deposit one byte string per destination, then each takes its column. Reusable:
/// a member that comes back for the next collective waits until every member took its column.
class Rendezvous {
public:
    explicit Rendezvous(int size) : size_(size), slots_(static_cast<std::size_t>(size)) {}

    std::vector<Bytes> all_to_all(int rank, std::vector<Bytes> send) {
        if (static_cast<int>(send.size()) != size_)
            throw UsageError("alltoallv: " + std::to_string(send.size()) +
                             " send buffers for a group of " + std::to_string(size_));
        std::unique_lock lock(mutex_);
        cv_.wait(lock,
                 [&] { return !distributing_; });  // the previous collective is still being taken
        slots_[static_cast<std::size_t>(rank)] = std::move(send);
        if (++arrived_ == size_) {
            distributing_ = true;
            cv_.notify_all();
        } else {
            cv_.wait(lock, [&] { return distributing_; });
        }
        std::vector<Bytes> received(static_cast<std::size_t>(size_));
        for (int k = 0; k < size_; ++k)
            received[static_cast<std::size_t>(k)] =
                std::move(slots_[static_cast<std::size_t>(k)][static_cast<std::size_t>(rank)]);
        if (--arrived_ == 0) {
            distributing_ = false;
            cv_.notify_all();
        }
        return received;
    }

private:
    const int size_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::vector<Bytes>> slots_;  // [sender][destination]
    int arrived_ = 0;
    bool distributing_ = false;
};

template <class T>
Bytes bytes_of(std::span<const T> values) {
    Bytes b(values.size_bytes());
    if (!values.empty()) std::memcpy(b.data(), values.data(), b.size());
    return b;
}

template <class T>
T combine(T a, T b, ReduceOp op) {
    switch (op) {
        case ReduceOp::kSum:
            return a + b;
        case ReduceOp::kMin:
            return std::min(a, b);
        case ReduceOp::kMax:
            return std::max(a, b);
    }
    return a;
}

class InProcessMember final : public WorkerGroup {
public:
    InProcessMember(Rendezvous& meeting, int rank, int size)
        : meeting_(meeting), rank_(rank), size_(size) {}

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    MPI_Comm mpi_communicator() const override { return MPI_COMM_NULL; }

    std::vector<Bytes> alltoallv(std::vector<Bytes> send, std::int64_t /*round_bytes*/) override {
        return meeting_.all_to_all(rank_, std::move(send));  // memory moves: no rounds needed
    }
    void allreduce(std::span<std::int64_t> values, ReduceOp op) override {
        reduce(values, op, false);
    }
    void allreduce(std::span<double> values, ReduceOp op) override { reduce(values, op, false); }
    void exscan(std::span<std::int64_t> values) override { reduce(values, ReduceOp::kSum, true); }
    void barrier() override {
        meeting_.all_to_all(rank_, std::vector<Bytes>(static_cast<std::size_t>(size_)));
    }

private:
    /// Every member's values to every member, combined in rank order (all members, or only
    /// those before this one for an exclusive scan).
    template <class T>
    void reduce(std::span<T> values, ReduceOp op, bool exclusive) {
        const Bytes mine = bytes_of(std::span<const T>(values));
        auto received =
            meeting_.all_to_all(rank_, std::vector<Bytes>(static_cast<std::size_t>(size_), mine));
        const int last = exclusive ? rank_ : size_;
        std::vector<T> acc(values.size(), T{});
        for (int k = 0; k < last; ++k) {
            const Bytes& from = received[static_cast<std::size_t>(k)];
            if (from.size() != values.size_bytes())
                throw UsageError("allreduce: members passed different numbers of values");
            for (std::size_t i = 0; i < values.size(); ++i) {
                T v;
                std::memcpy(&v, from.data() + i * sizeof(T), sizeof(T));
                acc[i] = k == 0 ? v : combine(acc[i], v, op);
            }
        }
        std::copy(acc.begin(), acc.end(), values.begin());
    }

    Rendezvous& meeting_;
    const int rank_;
    const int size_;
};

}  // namespace

struct InProcessGroup::Impl {
    explicit Impl(int size) : meeting(size) {
        for (int r = 0; r < size; ++r)
            members.push_back(std::make_unique<InProcessMember>(meeting, r, size));
    }
    Rendezvous meeting;
    std::vector<std::unique_ptr<InProcessMember>> members;
};

InProcessGroup::InProcessGroup(int size) : impl_(std::make_unique<Impl>(size)) {}
InProcessGroup::~InProcessGroup() = default;
WorkerGroup& InProcessGroup::member(int rank) {
    return *impl_->members.at(static_cast<std::size_t>(rank));
}

}  // namespace tessera
