#pragma once
// The transport between ranks. The scheduler and the workers only see this interface; it has an
// MPI implementation (the real one) and an in-process one (threads), which lets the scheduling
// logic be tested without mpiexec and runs `mpirun -n 1` jobs with a worker thread on rank 0.
//
// Thread contract: one thread per endpoint calls send/try_receive/wait (the rank's progress
// loop). Waker::notify may be called from any thread.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "tessera/runtime/codec.hpp"

namespace tessera {

struct Envelope {
    int source = -1;
    Bytes payload;
};

/// Lets a progress loop sleep until there is work, instead of spinning (the two vCPUs of a
/// laptop or CI machine share one core, and a spinning rank slows the others several times).
class Waker {
public:
    void notify();
    /// Returns at once if notified since the last wait, else after at most `max_wait`.
    void wait_for(std::chrono::microseconds max_wait);

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool signalled_ = false;
};

class Comm {
public:
    virtual ~Comm() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    /// Queues a message to `dest` and returns without waiting for it to be received.
    virtual void send(int dest, Bytes payload) = 0;
    /// Returns the next message from any rank, if one has arrived.
    virtual bool try_receive(Envelope& out) = 0;
    /// Sends a large payload (a chunk) without copying it; it stays alive until sent. Payloads
    /// travel apart from the batches, in order per destination: the batch record that announces
    /// a payload is sent first.
    virtual void send_payload(int dest, SharedBytes payload) = 0;
    /// Receives the next payload from `source`, waiting for it if needed (it was announced in a
    /// batch already received, so it is on its way).
    virtual Bytes receive_payload(int source) = 0;
    /// True when a message can arrive without this rank polling for it; then the waker is
    /// notified on arrival and a progress loop may sleep long.
    virtual bool notifies_on_arrival() const = 0;
    /// True when the ranks are separate processes (MPI), false when they are threads.
    virtual bool spans_processes() const = 0;
    /// Woken by message arrival (when supported) and by local events such as a finished task.
    Waker& waker() { return waker_; }

private:
    Waker waker_;
};

/// How a progress loop waits when a round found nothing to do: a few yields, then sleeps that
/// double up to 250 us (a sleeping rank costs the busy ones nothing, and a message to an idle
/// rank waits at most that long), or one long wait when the transport wakes the loop on
/// arrival. Any local event that notifies the waker cuts it short.
class IdleBackoff {
public:
    void reset() { idle_rounds_ = 0; }
    void wait(Comm& comm);

private:
    int idle_rounds_ = 0;
};

/// A world of `size` endpoints in one process, each used by its own thread.
class InProcessWorld {
public:
    explicit InProcessWorld(int size);
    ~InProcessWorld();
    Comm& endpoint(int rank);
    int size() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
