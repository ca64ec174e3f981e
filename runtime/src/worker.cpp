#include "worker.hpp"

#include <algorithm>
#include <exception>

#include "interruption.hpp"
#include "tessera/io/io_error.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera {

using protocol::Op;

// ---------------------------------------------------------------------------------------------
// Executor

Executor::Executor(Waker& waker) : waker_(waker), thread_([this] { loop(); }) {}

Executor::~Executor() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void Executor::start(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        job_ = std::move(job);
        has_job_ = true;
        finished_ = false;
    }
    cv_.notify_one();
}

bool Executor::poll() {
    std::lock_guard lock(mutex_);
    if (!finished_) return false;
    finished_ = false;
    return true;
}

void Executor::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return has_job_ || stop_; });
        if (stop_ && !has_job_) return;
        auto job = std::move(job_);
        has_job_ = false;
        lock.unlock();
        job();  // never throws: the job catches the task's exceptions itself
        lock.lock();
        finished_ = true;
        waker_.notify();
    }
}

// ---------------------------------------------------------------------------------------------
// Worker

Worker::Worker(Comm& comm, WorkerGroup& group, WorkerConfig config)
    : comm_(comm),
      group_(group),
      config_(std::move(config)),
      outbox_(comm),
      store_(config_.memory_limit, io::SpillDirectory(config_.local_dir, config_.spill_tag)),
      executor_(comm.waker()),
      fn_seconds_(FunctionRegistry::instance().size(), -1.0),
      faults_(config_.rank) {
    group_.set_keepalive([this] {
        maybe_heartbeat();
        outbox_.flush();
    });
}

std::int64_t Worker::now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                config_.epoch)
        .count();
}

int Worker::run() {
    IdleBackoff backoff;
    while (!shutdown_ || running_) {
        bool worked = false;
        Envelope env;
        for (int n = 0; n < 64 && comm_.try_receive(env); ++n) {
            handle(env);
            worked = true;
        }
        if (running_ && executor_.poll()) {
            running_ = false;
            complete(running_key_, running_outcome_, 0);
            worked = true;
        }
        if (!running_ && !shutdown_) worked = start_ready_tasks() || worked;
        maybe_heartbeat();
        outbox_.flush();
        if (worked)
            backoff.reset();
        else
            backoff.wait(comm_);  // the executor's notify cuts the wait short
    }
    outbox_.flush();
    return exit_code_;
}

void Worker::handle(const Envelope& env) {
    ByteReader r(env.payload);
    while (!r.done()) {
        const auto op = r.pod<Op>();
        switch (op) {
            case Op::kAssign:
                on_assign(r);
                break;
            case Op::kRelease:
                on_release(protocol::take<protocol::Release>(r).key);
                break;
            case Op::kFetch:
                on_fetch(env.source, protocol::take<protocol::Fetch>(r).key);
                break;
            case Op::kData: {
                const auto key = protocol::take<protocol::Data>(r).key;
                on_data(env.source, key, protocol::read_payload(r, comm_, env.source));
                break;
            }
            case Op::kMissing:
                on_missing(env.source, protocol::take<protocol::Missing>(r).key);
                break;
            case Op::kConfigure: {
                const auto c = protocol::take<protocol::Configure>(r);
                tracing_ = c.tracing != 0;
                heartbeat_seconds_ = c.heartbeat_seconds;
                io_retries_ = c.io_retries;
                break;
            }
            case Op::kCollect: {
                protocol::take<protocol::Collect>(r);
                stats_.spills = store_.spills();
                stats_.spill_bytes = store_.spill_bytes();
                stats_.peak_memory = store_.peak_memory();
                stats_.held_results = store_.size();
                auto w = outbox_.to(env.source);
                protocol::put(w, stats_);
                stats_.tasks_run.clear();  // events go out once; counters stay cumulative
                stats_.transfers_in.clear();
                break;
            }
            case Op::kShutdown: {
                const auto s = protocol::take<protocol::Shutdown>(r);
                // A drained job: running tasks are abandoned, resumable outputs kept.
                if (s.now) interruption::end_process(s.exit_code, "drained");
                exit_code_ = s.exit_code;
                shutdown_ = true;
                break;
            }
            default:
                throw CommError("worker " + std::to_string(comm_.rank()) + ": unknown message op " +
                                std::to_string(static_cast<int>(op)) + " from rank " +
                                std::to_string(env.source));
        }
    }
}

void Worker::on_assign(ByteReader& r) {
    const auto assign = protocol::take<protocol::Assign>(r);
    Task t;
    t.key = assign.key;
    t.fn = assign.fn;
    t.priority = assign.priority;
    t.want_result = assign.want_result != 0;
    t.inputs.resize(assign.nargs);
    const bool collective =
        FunctionRegistry::instance().get(t.fn).placement == Placement::kCollective;
    std::string missing_here;
    for (auto& in : t.inputs) {
        const auto arg = protocol::AssignArg::decode(r);
        in.is_task = arg.kind == protocol::ArgKind::kTask;
        if (!in.is_task) {
            in.literal.assign(arg.literal.begin(), arg.literal.end());
            continue;
        }
        in.key = arg.key;
        in.owner = arg.owner;
        if (collective && in.owner != comm_.rank()) {
            in.absent = true;  // held by another worker, which passes it to the same collective
            continue;
        }
        ++needed_[in.key];
        if (store_.contains(in.key)) continue;
        if (in.owner == comm_.rank()) {
            missing_here = std::to_string(in.key);
            continue;
        }
        ++t.missing;
        auto& waiters = waiting_for_[in.key];
        if (waiters.empty()) {  // first local task to need it: prefetch now
            auto w = outbox_.to(in.owner);
            protocol::put(w, protocol::Fetch{in.key});
            fetch_started_[in.key] = now_ns();
        }
        waiters.push_back(t.key);
    }
    const std::uint64_t key = t.key;
    const bool ready = t.missing == 0;
    const std::uint64_t priority = t.priority;
    tasks_.emplace(key, std::move(t));
    if (!missing_here.empty()) {
        fail(key, "input " + missing_here + " is not held on rank " + std::to_string(comm_.rank()));
    } else if (collective) {
        // Every worker runs collectives as they arrive, so all run them in the same order.
        if (!ready)
            fail(key, "internal: a collective task's inputs must be held everywhere");
        else
            start_task(key);  // placement keeps it on this thread, even beside a running task
    } else if (ready) {
        ready_.emplace(priority, key);
    }
}

void Worker::on_release(std::uint64_t key) {
    if (needed_.count(key) == 0)
        store_.erase(key);
    else
        store_.disown(key);  // a queued task still reads it; dropped when that task is done
}

void Worker::on_fetch(int source, std::uint64_t key) {
    auto w = outbox_.to(source);
    SharedBytes data;
    try {
        data = store_.get(key);
    } catch (const std::exception&) {
        data = nullptr;  // an unreadable spill file: the requester reports the input missing
    }
    if (!data) {
        protocol::put(w, protocol::Missing{key});
        return;
    }
    protocol::put(w, protocol::Data{key});
    outbox_.write_payload(source, w, std::move(data));
}

void Worker::on_data(int source, std::uint64_t key, Bytes data) {
    auto waiters = waiting_for_.find(key);
    if (waiters == waiting_for_.end()) return;  // nobody waits any more
    const auto n = data.size();
    ++stats_.transfers;
    stats_.transfer_bytes += n;
    const std::int64_t started = fetch_started_[key], ended = now_ns();
    fetched_bytes_ += n;
    fetched_ns_ += ended - started;
    if (tracing_)
        stats_.transfers_in.push_back({key, source, started, ended, static_cast<std::uint64_t>(n)});
    fetch_started_.erase(key);
    try {
        store_.put(key, std::make_shared<const Bytes>(std::move(data)), /*owned=*/false);
    } catch (const std::exception& e) {
        for (auto waiter : waiters->second) fail(waiter, e.what());
        waiting_for_.erase(waiters);
        return;
    }
    for (auto waiter : waiters->second) {
        auto it = tasks_.find(waiter);
        if (it != tasks_.end() && --it->second.missing == 0)
            ready_.emplace(it->second.priority, waiter);
    }
    waiting_for_.erase(waiters);
}

void Worker::on_missing(int source, std::uint64_t key) {
    auto waiters = waiting_for_.find(key);
    if (waiters == waiting_for_.end()) return;
    const auto list = std::move(waiters->second);
    waiting_for_.erase(waiters);
    fetch_started_.erase(key);
    for (auto waiter : list)
        fail(waiter,
             "input " + std::to_string(key) + " was not found on rank " + std::to_string(source));
}

bool Worker::start_ready_tasks() {
    // Run short tasks inline for up to ~1 ms, then go back to answering messages; start at most
    // one long task on the executor.
    const auto budget_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
    bool worked = false;
    while (!ready_.empty() && !running_) {
        const auto key = ready_.top().second;
        ready_.pop();
        if (!tasks_.count(key)) continue;  // failed meanwhile
        worked = true;
        if (start_task(key) && std::chrono::steady_clock::now() > budget_end) break;
    }
    return worked;
}

bool Worker::start_task(std::uint64_t key) {
    Task& t = tasks_.at(key);
    const FunctionInfo& info = FunctionRegistry::instance().get(t.fn);
    std::vector<SharedBytes> held;  // the stored inputs, alive and pinned while the task runs
    for (const auto& in : t.inputs) {
        if (!in.is_task || in.absent) continue;
        SharedBytes d;
        try {
            d = store_.get(in.key);
        } catch (const std::exception& e) {
            fail(key, e.what());
            return true;
        }
        if (!d) {
            fail(key, "input " + std::to_string(in.key) + " is no longer held on rank " +
                          std::to_string(comm_.rank()));
            return true;
        }
        store_.pin(in.key);
        held.push_back(std::move(d));
    }
    // The task stays in tasks_ (a node container) until complete(), so `t` outlives the job.
    auto job = [&info, &t, held = std::move(held), this](Outcome& out) {
        out = Outcome{};
        out.start_ns = now_ns();
        for (const auto& h : held) out.bytes_in += h->size();
        std::vector<ArgView> views;
        views.reserve(t.inputs.size());
        std::size_t h = 0;
        for (const auto& in : t.inputs) {
            if (in.absent) {
                views.push_back({nullptr, 0, nullptr});
            } else if (in.is_task) {
                views.push_back({held[h]->data(), held[h]->size(), &held[h]});
                ++h;
            } else {
                views.push_back({in.literal.data(), in.literal.size(), nullptr});
            }
        }
        try {
            // An I/O error may be the file system's hiccup: tried again after 0.1, 0.2, 0.4 s...
            for (int attempt = 0;; ++attempt) {
                try {
                    faults_.before_task(info.name);
                    if (info.placement == Placement::kCollective)
                        info.invoke_collective(group_, views, out.result);
                    else
                        info.invoke(views, out.result);
                    break;
                } catch (const io::IoError& e) {
                    if (attempt >= io_retries_ || info.placement == Placement::kCollective) {
                        if (attempt == 0) throw;
                        throw io::IoError(std::string(e.what()) + " (failed " +
                                          std::to_string(attempt + 1) + " times)");
                    }
                    out.result.clear();
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds(100 << std::min(attempt, 6)));
                }
            }
        } catch (const std::exception& e) {
            out.failed = true;
            out.error = error_message(e);
        } catch (...) {
            out.failed = true;
            out.error = "unknown exception (not derived from std::exception)";
        }
        out.end_ns = now_ns();
    };
    const double known = fn_seconds_[t.fn];
    if (info.placement != Placement::kAnyThread || (known >= 0 && known < kInlineSeconds)) {
        Outcome out;
        job(out);
        complete(key, out, 1);
        return true;
    }
    running_ = true;
    running_key_ = key;
    executor_.start([job = std::move(job), this] { job(running_outcome_); });
    return false;
}

void Worker::forget_inputs(const Task& task) {
    for (const auto& in : task.inputs) {
        if (!in.is_task || in.absent) continue;
        store_.unpin(in.key);
        auto it = needed_.find(in.key);
        if (it == needed_.end() || --it->second > 0) continue;
        needed_.erase(it);
        if (!store_.owned(in.key)) store_.erase(in.key);  // a fetched copy nobody here needs
    }
}

void Worker::complete(std::uint64_t key, Outcome& outcome, std::uint32_t thread) {
    auto it = tasks_.find(key);
    Task task = std::move(it->second);
    tasks_.erase(it);
    forget_inputs(task);
    const double seconds = static_cast<double>(outcome.end_ns - outcome.start_ns) * 1e-9;
    double& avg = fn_seconds_[task.fn];
    avg = avg < 0 ? seconds : 0.8 * avg + 0.2 * seconds;
    ++stats_.tasks;
    auto record = [&](std::uint64_t bytes_out) {
        if (tracing_)
            stats_.tasks_run.push_back({key, task.fn, thread, outcome.start_ns, outcome.end_ns,
                                        outcome.bytes_in, bytes_out, store_.memory_bytes(),
                                        store_.spill_bytes()});
    };
    if (outcome.failed) {
        record(0);
        auto w = outbox_.to(0);
        protocol::put(w, protocol::Failed{key, outcome.error});
        return;
    }
    auto data = std::make_shared<const Bytes>(std::move(outcome.result));
    auto w = outbox_.to(0);
    protocol::put(w, protocol::Done{key, data->size(), seconds, fetched_bytes_, fetched_ns_,
                                    static_cast<std::uint8_t>(task.want_result ? 1 : 0)});
    fetched_bytes_ = 0;
    fetched_ns_ = 0;
    if (task.want_result) outbox_.write_payload(0, w, data);
    const std::uint64_t bytes_out = data->size();
    try {
        store_.put(key, std::move(data), /*owned=*/true);
        record(bytes_out);
    } catch (const std::exception& e) {
        // The result could not be kept (spilling failed): the scheduler must not count on it.
        fail(key, std::string("cannot store result: ") + e.what());
    }
}

void Worker::maybe_heartbeat() {
    if (heartbeat_seconds_ <= 0 || (!running_ && tasks_.empty())) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat_ < std::chrono::duration<double>(heartbeat_seconds_)) return;
    last_heartbeat_ = now;
    auto w = outbox_.to(0);
    protocol::put(w, protocol::Heartbeat{});
}

void Worker::fail(std::uint64_t key, const std::string& message) {
    auto it = tasks_.find(key);
    if (it != tasks_.end()) {
        forget_inputs(it->second);
        tasks_.erase(it);
    }
    auto w = outbox_.to(0);
    protocol::put(w, protocol::Failed{key, message});
}

}  // namespace tessera
