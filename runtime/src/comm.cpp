#include "tessera/runtime/comm.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>

namespace tessera {

void Waker::notify() {
    {
        std::lock_guard lock(mutex_);
        signalled_ = true;
    }
    cv_.notify_one();
}

void Waker::wait_for(std::chrono::microseconds max_wait) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, max_wait, [this] { return signalled_; });
    signalled_ = false;
}

void IdleBackoff::wait(Comm& comm) {
    constexpr int kYields = 16;
    if (comm.notifies_on_arrival()) {
        comm.waker().wait_for(std::chrono::milliseconds(50));
    } else if (++idle_rounds_ < kYields) {
        std::this_thread::yield();
    } else {
        const int us = std::min(1 << std::min(idle_rounds_ - kYields, 8), 250);
        comm.waker().wait_for(std::chrono::microseconds(us));
    }
}

namespace {

class InProcessEndpoint final : public Comm {
public:
    InProcessEndpoint(std::vector<std::unique_ptr<InProcessEndpoint>>& world, int rank)
        : world_(world), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return static_cast<int>(world_.size()); }
    void send(int dest, Bytes payload) override {
        auto& peer = *world_.at(static_cast<std::size_t>(dest));
        {
            std::lock_guard lock(peer.mutex_);
            peer.inbox_.push_back(Envelope{rank_, std::move(payload)});
        }
        peer.waker().notify();
    }
    bool try_receive(Envelope& out) override {
        std::lock_guard lock(mutex_);
        if (inbox_.empty()) return false;
        out = std::move(inbox_.front());
        inbox_.pop_front();
        return true;
    }
    bool notifies_on_arrival() const override { return true; }
    bool spans_processes() const override { return false; }
    void send_payload(int dest, SharedBytes payload) override {
        auto& peer = *world_.at(static_cast<std::size_t>(dest));
        {
            std::lock_guard lock(peer.mutex_);
            peer.payloads_[rank_].push_back(*payload);  // one copy, as a real transfer makes
        }
        peer.payload_arrived_.notify_all();
    }
    Bytes receive_payload(int source) override {
        std::unique_lock lock(mutex_);
        auto& queue = payloads_[source];
        payload_arrived_.wait(lock, [&] { return !queue.empty(); });
        Bytes b = std::move(queue.front());
        queue.pop_front();
        return b;
    }

private:
    std::vector<std::unique_ptr<InProcessEndpoint>>& world_;
    int rank_;
    std::mutex mutex_;
    std::condition_variable payload_arrived_;
    std::deque<Envelope> inbox_;
    std::map<int, std::deque<Bytes>> payloads_;
};

}  // namespace

struct InProcessWorld::Impl {
    std::vector<std::unique_ptr<InProcessEndpoint>> endpoints;
};

InProcessWorld::InProcessWorld(int size) : impl_(std::make_unique<Impl>()) {
    for (int r = 0; r < size; ++r)
        impl_->endpoints.push_back(std::make_unique<InProcessEndpoint>(impl_->endpoints, r));
}

InProcessWorld::~InProcessWorld() = default;

Comm& InProcessWorld::endpoint(int rank) {
    return *impl_->endpoints.at(static_cast<std::size_t>(rank));
}

int InProcessWorld::size() const { return static_cast<int>(impl_->endpoints.size()); }

}  // namespace tessera
