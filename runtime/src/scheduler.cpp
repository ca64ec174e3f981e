#include "scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "interruption.hpp"
#include "tessera/io/scratch.hpp"
#include "tessera/runtime/function_registry.hpp"

namespace tessera {

using protocol::Op;

template <class R>
void Scheduler::send_to_workers(const R& record, int except) {
    for (const auto& w : workers_) {
        if (w.rank == except) continue;
        auto out = outbox_.to(w.rank);
        protocol::put(out, record);
    }
    outbox_.flush();
}

Scheduler::Scheduler(Comm& comm, RuntimeOptions options)
    : comm_(comm),
      options_(std::move(options)),
      outbox_(comm),
      progress_display_(options_.progress),
      function_seconds_(FunctionRegistry::instance().size(), -1.0),
      function_time_(FunctionRegistry::instance().size()) {
    for (int r = 1; r < comm_.size(); ++r) workers_.push_back(WorkerSlot{.rank = r, .queue = {}});
    worker_stats_.resize(workers_.size());
    if (workers_.empty()) throw UsageError("the scheduler needs at least one worker rank");
    protocol::Configure configure;
    configure.tracing = !options_.trace_path.empty() || !options_.report_path.empty();
    // Worker threads of this process cannot stall apart from it: heartbeats are for processes.
    if (comm_.spans_processes())
        configure.heartbeat_seconds = options_.heartbeat_timeout_seconds / 6;
    configure.io_retries = std::max(options_.io_retries, 0);
    send_to_workers(configure);
    last_heard_.assign(workers_.size(), Clock::now());
    if (options_.walltime_seconds <= 0) options_.walltime_seconds = walltime_from_env();
    if (options_.walltime_seconds > 0)
        walltime_ = start_ + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options_.walltime_seconds));
    interruption::set_drain_seconds(options_.drain_seconds);
    graph_ = std::make_shared<detail::GraphState>();
    graph_->epoch = next_epoch_++;
}

// ---------------------------------------------------------------------------------------------
// Graphs

std::shared_ptr<detail::GraphState> Scheduler::building_graph(Client* client) {
    if (graph_.use_count() == 1 && in_flight_ == 0 && graph_->graph.size() > 0) reset_graph();
    graph_->client = client;
    return graph_;
}

void Scheduler::reset_graph() {
    for (TaskId t = 0; t < state_.size(); ++t) {
        if (state_[t] != State::kMemory) continue;
        const auto key = task_key(graph_->epoch, t);
        to_holders(t, [key](ByteWriter& w) { protocol::put(w, protocol::Release{key}); });
    }
    outbox_.flush();
    const auto priority = graph_->graph.default_priority();
    graph_ = std::make_shared<detail::GraphState>();
    graph_->epoch = next_epoch_++;
    graph_->graph.set_default_priority(priority);
    for (auto* v : {&waiting_, &dependents_, &holds_, &first_edge_, &next_edge_, &edge_task_})
        v->clear();
    state_.clear();
    flags_.clear();
    owner_.clear();
    nbytes_.clear();
    order_.clear();
    estimate_.clear();
    roots_ = {};
    collective_pending_.clear();
    for (auto& w : workers_) w.queue.clear();
    results_.clear();
    failures_.clear();
}

void Scheduler::check_graph(const detail::GraphState& g) const {
    if (&g != graph_.get())
        throw UsageError("this value belongs to a graph that has been discarded");
}

void Scheduler::grow_to_graph() {
    const auto n = graph_->graph.size();
    if (state_.size() == n) return;
    state_.resize(n, State::kIdle);
    flags_.resize(n, 0);
    waiting_.resize(n, 0);
    dependents_.resize(n, 0);
    holds_.resize(n, 0);
    owner_.resize(n, -1);
    nbytes_.resize(n, 0);
    order_.resize(n, 0);
    estimate_.resize(n, 0);
    first_edge_.resize(n, kNoEdge);
    next_edge_.resize(graph_->graph.num_edges(), kNoEdge);
    edge_task_.resize(graph_->graph.num_edges(), 0);
}

// ---------------------------------------------------------------------------------------------
// Submission: a depth-first walk from the targets over everything not computed yet. Tasks get
// their order in post-order, so each input comes before its dependents and a subtree finishes
// before the walk moves on: small goals first, memory freed early.

void Scheduler::submit(detail::GraphState& g, std::span<const TaskId> targets, bool want_results) {
    check_graph(g);
    grow_to_graph();
    const TaskGraph& graph = graph_->graph;
    struct Frame {
        TaskId task;
        std::uint32_t next_arg;
    };
    std::vector<Frame> stack;
    for (TaskId target : targets) {
        if (want_results) flags_[target] |= kWantResult;
        if (state_[target] != State::kIdle && state_[target] != State::kReleased) continue;
        state_[target] = State::kVisiting;
        stack.push_back({target, 0});
        while (!stack.empty()) {
            Frame& f = stack.back();
            const auto args = graph.args(f.task);
            bool descended = false;
            while (f.next_arg < args.size()) {
                const ArgRef a = args[f.next_arg++];
                if (!a.is_task()) continue;
                const TaskId p = a.index();
                if (state_[p] == State::kIdle || state_[p] == State::kReleased) {
                    state_[p] = State::kVisiting;
                    stack.push_back({p, 0});  // invalidates f
                    descended = true;
                    break;
                }
            }
            if (descended) continue;
            const TaskId t = f.task;
            stack.pop_back();
            finish_walk(t);
        }
    }
    dispatch();
    outbox_.flush();
    progress_display_.update(finished_, submitted_);
    interruption::note_progress(finished_, submitted_);
}

void Scheduler::finish_walk(TaskId t) {
    const TaskGraph& graph = graph_->graph;
    const auto prio = static_cast<std::int64_t>(graph.priority(t));
    order_[t] =
        (static_cast<std::uint64_t>(0x7fffffffLL - prio) << 32) | (next_order_++ & 0xffffffffu);
    ++submitted_;
    const auto args = graph.args(t);
    if (!(flags_[t] & kLinked)) {
        std::uint32_t slot = graph.first_arg_slot(t);
        for (const ArgRef a : args) {
            if (a.is_task()) {
                edge_task_[slot] = t;
                next_edge_[slot] = first_edge_[a.index()];
                first_edge_[a.index()] = slot;
            }
            ++slot;
        }
        flags_[t] |= kLinked;
    }
    if (FunctionRegistry::instance().get(graph.function(t)).placement == Placement::kCollective)
        flags_[t] |= kCollective;
    state_[t] = State::kWaiting;
    std::uint32_t waiting = 0;
    const Failure* failed_input = nullptr;
    for (const ArgRef a : args) {
        if (!a.is_task()) continue;
        const TaskId p = a.index();
        ++dependents_[p];
        if (state_[p] == State::kErred)
            failed_input = &failures_.at(p);
        else if (state_[p] != State::kMemory)
            ++waiting;
    }
    waiting_[t] = waiting;
    if (failed_input) {
        const Failure copy = *failed_input;
        mark_erred(t, copy);
    } else if (waiting == 0) {
        make_ready(t);
    }
}

void Scheduler::make_ready(TaskId t) {
    state_[t] = State::kReady;
    if (flags_[t] & kCollective) {
        assign_everywhere(t);
        return;
    }
    if (const int rank = graph_->graph.restriction(t); rank > 0) {
        workers_.at(static_cast<std::size_t>(rank - 1)).queue.emplace(order_[t], t);
        return;
    }
    const auto args = graph_->graph.args(t);
    // Placement by locality: the worker holding most input bytes; ties to the least loaded.
    WorkerSlot* best = nullptr;
    std::uint64_t best_bytes = 0;
    for (const ArgRef a : args) {
        if (!a.is_task() || owner_[a.index()] == kEverywhere) continue;
        const int owner = owner_[a.index()];
        std::uint64_t bytes = 0;
        for (const ArgRef b : args)
            if (b.is_task() && owner_[b.index()] == owner) bytes += nbytes_[b.index()] + 1;
        WorkerSlot& w = workers_[static_cast<std::size_t>(owner - 1)];
        if (!best || bytes > best_bytes ||
            (bytes == best_bytes &&
             w.in_flight + w.queue.size() < best->in_flight + best->queue.size())) {
            best = &w;
            best_bytes = bytes;
        }
    }
    if (!best) {
        if (const double home = graph_->graph.home(t); home >= 0) {  // firm: never stolen
            const auto w =
                std::min(workers_.size() - 1,
                         static_cast<std::size_t>(home * static_cast<double>(workers_.size())));
            workers_[w].queue.emplace(order_[t], t);
            return;
        }
        roots_.emplace(order_[t], t);  // withheld until a worker has a free slot
        return;
    }
    best->queue.emplace(order_[t], t);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

// One running task plus enough assigned ones to cover a few ms of message latency and batching
// (two for long tasks, up to a thousand for microsecond ones).
constexpr double kLatencyToHide = 4e-3;
constexpr std::uint32_t kMinInFlight = 2, kMaxInFlight = 1024;

double Scheduler::expected_seconds(TaskId t) const {
    if (const double f = function_seconds_[graph_->graph.function(t)]; f >= 0) return f;
    return mean_task_seconds_ >= 0 ? mean_task_seconds_ : kLatencyToHide;
}

void Scheduler::learn_transfer_rate(std::uint64_t bytes, std::int64_t ns) {
    // Sums that forget slowly, so the rate follows the machine (a fresh page costs more to
    // receive into than a reused one). Concurrent fetches each count their whole wait: the
    // rate is what one more fetch can expect, not the link's peak.
    if (bytes == 0 || ns <= 0) return;
    fetched_bytes_ = 0.9 * fetched_bytes_ + static_cast<double>(bytes);
    fetched_seconds_ = 0.9 * fetched_seconds_ + static_cast<double>(ns) * 1e-9;
    if (fetched_bytes_ >= kRateAfterBytes) transfer_rate_ = fetched_bytes_ / fetched_seconds_;
}

void Scheduler::unassign(WorkerSlot& w, TaskId t) {
    --w.in_flight;
    --in_flight_;
    w.busy_seconds = w.in_flight == 0 ? 0.0 : std::max(0.0, w.busy_seconds - estimate_[t]);
}

void Scheduler::dispatch() {
    for (auto& w : workers_) fill(w);
}

bool Scheduler::fill(WorkerSlot& w) {
    bool any = false;
    if (ending_ || draining()) return false;
    while (w.in_flight < kMinInFlight ||
           (w.busy_seconds < kLatencyToHide && w.in_flight < kMaxInFlight)) {
        TaskId t;
        if (!w.queue.empty()) {
            t = w.queue.begin()->second;
            // A worker busy with long tasks leaves the last one queued here, where a worker that
            // frees up first can still take it: an assigned task never moves, and at the end of
            // a computation it would keep the others idle for a whole task.
            if (w.in_flight > 0 && w.queue.size() == 1 && roots_.empty() &&
                expected_seconds(t) > kLatencyToHide)
                break;
            w.queue.erase(w.queue.begin());
        } else if (!roots_.empty()) {
            t = roots_.top().second;
            roots_.pop();
        } else if (!steal_for(w)) {
            break;
        } else {
            continue;  // steal_for moved a task into w.queue
        }
        if (state_[t] != State::kReady) continue;  // erred while queued
        if (walltime_ && Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(expected_seconds(t) +
                                                                          walltime_margin())) >
                             *walltime_) {
            // It would not finish before the walltime: put it back and drain.
            w.queue.emplace(order_[t], t);
            char limit[64];
            const auto total = static_cast<long>(options_.walltime_seconds);
            std::snprintf(limit, sizeof limit, "%02ld:%02ld:%02ld", total / 3600, total / 60 % 60,
                          total % 60);
            drain_cause_ = std::string("stopped before the walltime (") + limit +
                           " from the start), which the next tasks would overrun";
            drain_until_ = *walltime_;
            break;
        }
        assign(w, t);
        any = true;
    }
    return any;
}

bool Scheduler::steal_for(WorkerSlot& w) {
    WorkerSlot* victim = nullptr;
    for (auto& v : workers_)
        if (&v != &w && !v.queue.empty() && (!victim || v.queue.size() > victim->queue.size()))
            victim = &v;
    if (!victim) return false;
    // The victim's last task that may move: not pinned to a rank, and without a home. Homes
    // stay firm: the blocks i of two created arrays meet on one worker only if neither moves,
    // and moving one costs its readers a block transfer each later (homes are spread evenly, so
    // queues of created blocks drain together).
    constexpr int kLooked = 16;
    auto it = victim->queue.end();
    for (int looked = 0; it != victim->queue.begin() && looked < kLooked; ++looked) {
        const TaskId c = std::prev(it)->second;
        if (graph_->graph.restriction(c) <= 0 && graph_->graph.home(c) < 0) break;
        --it;
    }
    if (it == victim->queue.begin() || graph_->graph.restriction(std::prev(it)->second) > 0 ||
        graph_->graph.home(std::prev(it)->second) >= 0)
        return false;
    const auto entry = std::prev(it);
    const auto [order, t] = *entry;
    std::uint64_t bytes_to_move = 0;
    for (const ArgRef a : graph_->graph.args(t))
        if (a.is_task() && owner_[a.index()] != w.rank && owner_[a.index()] != kEverywhere)
            bytes_to_move += nbytes_[a.index()];
    // Moving costs a round trip plus the bytes at the measured transfer rate, after the thief's
    // own work in flight; staying costs the tasks ahead of it (the queued ones taken to be like t).
    const double move_seconds =
        w.busy_seconds + 50e-6 + static_cast<double>(bytes_to_move) / transfer_rate_;
    const double wait_seconds =
        victim->busy_seconds + static_cast<double>(victim->queue.size() - 1) * expected_seconds(t);
    if (move_seconds >= wait_seconds) return false;
    victim->queue.erase(entry);
    w.queue.emplace(order, t);
    return true;
}

void Scheduler::assign(WorkerSlot& w, TaskId t) {
    const TaskGraph& graph = graph_->graph;
    const bool collective = flags_[t] & kCollective;
    state_[t] = State::kProcessing;
    owner_[t] = collective ? kEverywhere : w.rank;
    ++w.in_flight;
    ++in_flight_;
    estimate_[t] = static_cast<float>(expected_seconds(t));
    w.busy_seconds += estimate_[t];
    auto out = outbox_.to(w.rank);
    const auto args = graph.args(t);
    protocol::put(out,
                  protocol::Assign{task_key(graph_->epoch, t), graph.function(t), order_[t],
                                   static_cast<std::uint8_t>((flags_[t] & kWantResult) ? 1 : 0),
                                   static_cast<std::uint32_t>(args.size())});
    // A collective is told where each input is; a worker reads those it holds and never
    // fetches the others.
    for (const ArgRef a : args) {
        protocol::AssignArg arg;
        if (a.is_task()) {
            const std::int32_t owner = owner_[a.index()];
            arg.kind = protocol::ArgKind::kTask;
            arg.key = task_key(graph_->epoch, a.index());
            arg.owner = owner == kEverywhere ? w.rank : owner;
        } else {
            const auto lit = graph.literal(a.index());
            arg.literal = {lit.data(), lit.size()};
        }
        arg.encode(out);
    }
    if (outbox_.large(w.rank)) outbox_.flush();
}

void Scheduler::assign_everywhere(TaskId t) {
    collective_pending_[t] = static_cast<std::uint32_t>(workers_.size());
    for (auto& w : workers_) assign(w, t);
}

bool Scheduler::collective_reported(int rank, TaskId t) {
    unassign(workers_[static_cast<std::size_t>(rank - 1)], t);
    auto it = collective_pending_.find(t);
    if (--it->second > 0) return false;
    collective_pending_.erase(it);
    return true;
}

template <class F>
void Scheduler::to_holders(TaskId t, F&& write) {
    if (owner_[t] != kEverywhere) {
        auto w = outbox_.to(owner_[t]);
        write(w);
        return;
    }
    for (const auto& worker : workers_) {
        auto w = outbox_.to(worker.rank);
        write(w);
    }
}

// ---------------------------------------------------------------------------------------------
// Events from workers

void Scheduler::progress(bool may_wait) {
    bool worked = false;
    Envelope env;
    for (int n = 0; n < 64 && comm_.try_receive(env); ++n) {
        last_heard_[static_cast<std::size_t>(env.source - 1)] = Clock::now();
        handle(env);
        worked = true;
    }
    if (worked) dispatch();
    if (!worked) check_heartbeats();
    if (draining() && (in_flight_ == 0 || Clock::now() >= drain_until_)) end_drained();
    outbox_.flush();
    progress_display_.update(finished_, submitted_);
    interruption::note_progress(finished_, submitted_);
    if (worked)
        backoff_.reset();
    else if (may_wait)
        backoff_.wait(comm_);
}

void Scheduler::handle(const Envelope& env) {
    ByteReader r(env.payload);
    while (!r.done()) {
        const auto op = r.pod<Op>();
        switch (op) {
            case Op::kDone: {
                const auto d = protocol::take<protocol::Done>(r);
                learn_transfer_rate(d.fetched_bytes, d.fetched_ns);
                std::optional<Bytes> result;
                if (d.has_result) result = protocol::read_payload(r, comm_, env.source);
                on_done(env.source, d.key, d.nbytes, d.seconds, std::move(result));
                break;
            }
            case Op::kFailed: {
                auto f = protocol::take<protocol::Failed>(r);
                on_failed(env.source, f.key, std::move(f.message));
                break;
            }
            case Op::kData: {
                const auto key = protocol::take<protocol::Data>(r).key;
                Bytes data = protocol::read_payload(r, comm_, env.source);
                const TaskId t = static_cast<TaskId>(key);
                if (is_current_key(key) && (flags_[t] & kFetching)) {
                    results_[t] = std::move(data);
                    flags_[t] &= static_cast<std::uint8_t>(~kFetching);
                }
                break;
            }
            case Op::kMissing: {
                const auto key = protocol::take<protocol::Missing>(r).key;
                if (is_current_key(key))
                    on_failed(
                        env.source, key,
                        "result lost: rank " + std::to_string(env.source) + " no longer holds it");
                break;
            }
            case Op::kHeartbeat:
                protocol::take<protocol::Heartbeat>(r);  // last_heard_ is all it changes
                break;
            case Op::kStats: {
                auto s = protocol::take<protocol::WorkerStats>(r);
                auto& acc = worker_stats_[static_cast<std::size_t>(env.source - 1)];
                acc.tasks = s.tasks;
                acc.transfers = s.transfers;
                acc.transfer_bytes = s.transfer_bytes;
                acc.spills = s.spills;
                acc.spill_bytes = s.spill_bytes;
                acc.peak_memory = s.peak_memory;
                acc.held_results = s.held_results;
                acc.tasks_run.insert(acc.tasks_run.end(), s.tasks_run.begin(), s.tasks_run.end());
                acc.transfers_in.insert(acc.transfers_in.end(), s.transfers_in.begin(),
                                        s.transfers_in.end());
                --stats_pending_;
                break;
            }
            default:
                throw CommError("scheduler: unknown message op " +
                                std::to_string(static_cast<int>(op)) + " from rank " +
                                std::to_string(env.source));
        }
    }
}

void Scheduler::on_done(int rank, std::uint64_t key, std::uint64_t nbytes, double seconds,
                        std::optional<Bytes> result) {
    const TaskId t = static_cast<TaskId>(key);
    const bool current = is_current_key(key);
    if (current && (flags_[t] & kCollective) && collective_pending_.count(t)) {
        if (!collective_reported(rank, t) || state_[t] != State::kProcessing) return;
    } else if (!current || state_[t] != State::kProcessing) {
        auto w = outbox_.to(rank);  // not ours any more: free it
        protocol::put(w, protocol::Release{key});
        return;
    } else {
        unassign(workers_[static_cast<std::size_t>(rank - 1)], t);
    }
    ++finished_;
    state_[t] = State::kMemory;
    nbytes_[t] = nbytes;
    // Recent durations, weighted so that a function's estimate follows a change of its
    // tasks (a reduction over generated data, then one over stored blocks) within a few tasks.
    const FunctionId f = graph_->graph.function(t);
    auto recent = [seconds](double& mean, double weight) {
        mean = mean < 0 ? seconds : (1 - weight) * mean + weight * seconds;
    };
    recent(mean_task_seconds_, 0.05);
    recent(function_seconds_[f], 0.25);
    auto& ft = function_time_[f];
    ++ft.count;
    ft.seconds += seconds;
    if (result) results_[t] = std::move(*result);
    if (!graph_->on_done.empty())
        if (auto it = graph_->on_done.find(t); it != graph_->on_done.end()) {
            auto callback = std::move(it->second);
            graph_->on_done.erase(it);
            callback();
        }
    for (auto e = first_edge_[t]; e != kNoEdge; e = next_edge_[e]) {
        const TaskId d = edge_task_[e];
        if (state_[d] == State::kWaiting && --waiting_[d] == 0) make_ready(d);
    }
    for (const ArgRef a : graph_->graph.args(t)) {
        if (!a.is_task()) continue;
        --dependents_[a.index()];
        maybe_release(a.index());
    }
    maybe_release(t);
}

void Scheduler::on_failed(int rank, std::uint64_t key, std::string message) {
    const TaskId t = static_cast<TaskId>(key);
    if (!is_current_key(key)) return;
    if ((flags_[t] & kCollective) && collective_pending_.count(t)) {
        collective_reported(rank, t);  // the first failure fails it; later reports only count
    } else if (state_[t] == State::kProcessing) {
        unassign(workers_[static_cast<std::size_t>(rank - 1)], t);
    }
    const auto& info = FunctionRegistry::instance().get(graph_->graph.function(t));
    mark_erred(t, Failure{info.name, t, rank, std::move(message)});
}

void Scheduler::mark_erred(TaskId first, const Failure& failure) {
    // The failure reaches every dependent that can no longer run; their inputs lose a consumer.
    std::vector<TaskId> stack{first};
    while (!stack.empty()) {
        const TaskId t = stack.back();
        stack.pop_back();
        if (state_[t] == State::kErred) continue;
        const bool was_pending = state_[t] == State::kWaiting || state_[t] == State::kReady ||
                                 state_[t] == State::kProcessing || state_[t] == State::kVisiting;
        state_[t] = State::kErred;
        failures_.emplace(t, failure);
        ++finished_;
        if (was_pending) {
            for (const ArgRef a : graph_->graph.args(t)) {
                if (!a.is_task()) continue;
                --dependents_[a.index()];
                maybe_release(a.index());
            }
        }
        for (auto e = first_edge_[t]; e != kNoEdge; e = next_edge_[e]) {
            const TaskId d = edge_task_[e];
            if (state_[d] == State::kWaiting || state_[d] == State::kReady) stack.push_back(d);
        }
    }
}

void Scheduler::maybe_release(TaskId t) {
    if (state_[t] != State::kMemory || dependents_[t] != 0 || holds_[t] != 0) return;
    state_[t] = State::kReleased;
    results_.erase(t);
    const auto key = task_key(graph_->epoch, t);
    to_holders(t, [key](ByteWriter& w) { protocol::put(w, protocol::Release{key}); });
}

// ---------------------------------------------------------------------------------------------
// Waiting on the driver

void Scheduler::request_result(TaskId t) {
    if (results_.count(t) || (flags_[t] & kFetching)) return;
    flags_[t] |= kFetching;
    auto w = outbox_.to(owner_[t] == kEverywhere ? workers_.front().rank : owner_[t]);
    protocol::put(w, protocol::Fetch{task_key(graph_->epoch, t)});
}

void Scheduler::throw_failure(TaskId t) const {
    const Failure& f = failures_.at(t);
    throw TaskError(f.function, f.task, f.rank, f.message);
}

std::vector<Bytes> Scheduler::compute(detail::GraphState& g, std::span<const TaskId> targets) {
    check_graph(g);
    grow_to_graph();
    for (TaskId t : targets) ++holds_[t];
    // Whatever happens, the holds of this computation go away with it.
    struct Unhold {
        Scheduler& s;
        std::span<const TaskId> targets;
        ~Unhold() {
            for (TaskId t : targets) {
                --s.holds_[t];
                s.flags_[t] &= static_cast<std::uint8_t>(~kWantResult);
                s.maybe_release(t);
            }
            s.outbox_.flush();
        }
    } unhold{*this, targets};
    submit(g, targets, true);
    for (;;) {
        bool all = true;
        for (TaskId t : targets) {
            if (state_[t] == State::kErred) throw_failure(t);
            if (state_[t] != State::kMemory) {
                all = false;
            } else if (!results_.count(t)) {
                request_result(t);
                all = false;
            }
        }
        if (all) break;
        progress(true);
    }
    std::vector<Bytes> out;
    out.reserve(targets.size());
    for (TaskId t : targets) out.push_back(results_.at(t));  // a target may appear twice
    for (TaskId t : targets) results_.erase(t);
    return out;
}

Bytes Scheduler::result(detail::GraphState& g, TaskId t) {
    check_graph(g);
    grow_to_graph();
    if (state_[t] == State::kIdle || state_[t] == State::kReleased) {
        const TaskId targets[] = {t};
        submit(g, targets, false);
    }
    for (;;) {
        if (state_[t] == State::kErred) throw_failure(t);
        if (state_[t] == State::kMemory) {
            if (results_.count(t)) break;
            request_result(t);
        }
        progress(true);
    }
    Bytes b = std::move(results_.at(t));
    results_.erase(t);
    return b;
}

std::vector<Bytes> Scheduler::gather(detail::GraphState& g, std::span<const TaskId> ids) {
    check_graph(g);
    grow_to_graph();
    std::vector<TaskId> unsubmitted;
    for (TaskId t : ids)
        if (state_[t] == State::kIdle || state_[t] == State::kReleased) unsubmitted.push_back(t);
    if (!unsubmitted.empty()) submit(g, unsubmitted, false);
    // Two cursors: results are requested in order as tasks finish, then collected in order, so
    // a million futures cost one pass, not one round trip each.
    std::size_t requested = 0, collected = 0;
    std::vector<Bytes> out(ids.size());
    while (collected < ids.size()) {
        while (requested < ids.size()) {
            const TaskId t = ids[requested];
            if (state_[t] == State::kErred) throw_failure(t);
            if (state_[t] != State::kMemory) break;
            request_result(t);
            ++requested;
        }
        while (collected < requested) {
            auto it = results_.find(ids[collected]);
            if (it == results_.end()) break;
            // The same future may appear twice: copy, and let the last use move it out.
            out[collected] = it->second;
            ++collected;
        }
        if (collected < ids.size()) progress(true);
    }
    for (TaskId t : ids) results_.erase(t);
    return out;
}

bool Scheduler::finished(detail::GraphState& g, TaskId t) const {
    check_graph(g);
    return t < state_.size() && (state_[t] == State::kMemory || state_[t] == State::kErred);
}

std::size_t Scheduler::wait_any(detail::GraphState& g, std::span<const TaskId> ids) {
    check_graph(g);
    for (;;) {
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (state_[ids[i]] == State::kMemory || state_[ids[i]] == State::kErred) return i;
        progress(true);
    }
}

void Scheduler::hold(detail::GraphState& g, TaskId t) {
    check_graph(g);
    grow_to_graph();
    ++holds_[t];
}

void Scheduler::release_hold(detail::GraphState& g, TaskId t) {
    if (&g != graph_.get()) return;
    --holds_[t];
    maybe_release(t);
}

// ---------------------------------------------------------------------------------------------
// Resilience: stalled workers, drains

std::string Scheduler::tasks_held_by(int rank) const {
    std::map<std::string, int> count;
    for (TaskId t = 0; t < state_.size(); ++t)
        if (state_[t] == State::kProcessing && (owner_[t] == rank || owner_[t] == kEverywhere))
            ++count[FunctionRegistry::instance().get(graph_->graph.function(t)).name];
    std::string out;
    for (const auto& [name, n] : count)
        out += (out.empty() ? "" : ", ") + name + (n > 1 ? " (" + std::to_string(n) + ")" : "");
    return out;
}

void Scheduler::check_heartbeats() {
    const double timeout = options_.heartbeat_timeout_seconds;
    if (timeout <= 0 || !comm_.spans_processes()) return;
    const auto now = Clock::now();
    if (now - last_heartbeat_check_ < std::chrono::milliseconds(250)) return;
    // The driver was away (in its own code, not waiting here): what workers sent meanwhile was
    // not read yet, so silence says nothing about them.
    if (now - last_heartbeat_check_ > std::chrono::duration<double>(timeout / 3))
        std::fill(last_heard_.begin(), last_heard_.end(), now);
    last_heartbeat_check_ = now;
    for (const auto& w : workers_) {
        const double silent =
            std::chrono::duration<double>(now - last_heard_[static_cast<std::size_t>(w.rank - 1)])
                .count();
        if (w.in_flight == 0 || silent < timeout) continue;
        // The others abandon their tasks and remove their scratch; the launcher ends this one.
        send_to_workers(protocol::Shutdown{1, 1}, w.rank);
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.0f", silent);
        interruption::end_process(1,
                                  "rank " + std::to_string(w.rank) + " has not answered for " +
                                      seconds + " s while running " + tasks_held_by(w.rank),
                                  0,
                                  "It is stalled (a hung file system, a stopped process) or lost; "
                                  "--heartbeat-timeout sets how long to wait");
    }
}

double Scheduler::walltime_margin() const {
    // Time to record what finished and end every rank, with room for a task that overruns.
    return std::min(60.0, 0.05 * options_.walltime_seconds);
}

bool Scheduler::draining() {
    if (!drain_cause_.empty()) return true;
    if (const int sig = interruption::drain_requested(); sig != 0) {
        drain_cause_ = "interrupted by " + interruption::signal_name(sig);
        drain_until_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options_.drain_seconds));
        return true;
    }
    return false;
}

void Scheduler::end_drained() {
    const bool resumable = !io::kept_scratch().empty();
    const int code = resumable ? kResumableExitCode : 1;
    if (comm_.spans_processes()) {
        send_to_workers(protocol::Shutdown{code, 1});
    }
    std::string cause = drain_cause_;
    if (in_flight_ > 0) cause += " (" + std::to_string(in_flight_) + " running tasks abandoned)";
    interruption::end_process(
        code, cause, 0, resumable ? "" : "Nothing to resume: no to_hdf5 output was in progress");
}

// ---------------------------------------------------------------------------------------------
// End of job, diagnostics

void Scheduler::shutdown(int code) {
    // No task starts now (after a failure, the rest of its graph would run for nothing), but
    // the running ones finish first: a worker must not exit with messages to us still unsent.
    ending_ = true;
    while (in_flight_ > 0) progress(true);
    send_to_workers(protocol::Shutdown{code});
}

RunSummary Scheduler::collect() {
    stats_pending_ = static_cast<int>(workers_.size());
    send_to_workers(protocol::Collect{});
    while (stats_pending_ > 0) progress(true);
    RunSummary s;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    for (const auto& w : worker_stats_) {
        s.tasks += w.tasks;
        s.transfers += w.transfers;
        s.transfer_bytes += w.transfer_bytes;
        s.spills += w.spills;
        s.spill_bytes += w.spill_bytes;
        s.peak_worker_memory = std::max(s.peak_worker_memory, w.peak_memory);
        s.held_results += w.held_results;
    }
    auto& registry = FunctionRegistry::instance();
    for (FunctionId f = 0; f < function_time_.size(); ++f)
        if (function_time_[f].count > 0) s.functions[registry.get(f).name] = function_time_[f];
    return s;
}

double Scheduler::memory_per_task() const {
    const auto n = graph_->graph.size();
    if (n == 0) return 0.0;
    const std::size_t arrays =
        state_.capacity() * sizeof(State) + flags_.capacity() + waiting_.capacity() * 4 +
        dependents_.capacity() * 4 + holds_.capacity() * 4 + owner_.capacity() * 4 +
        nbytes_.capacity() * 8 + order_.capacity() * 8 + estimate_.capacity() * 4 +
        first_edge_.capacity() * 4 + next_edge_.capacity() * 4 + edge_task_.capacity() * 4 +
        roots_.size() * sizeof(QueueEntry);
    return static_cast<double>(arrays + graph_->graph.memory_bytes()) / static_cast<double>(n);
}

}  // namespace tessera
