#include "tessera/runtime/client.hpp"

#include <iostream>

#include "scheduler.hpp"

namespace tessera {

namespace {
thread_local Client* current_client = nullptr;

Scheduler& scheduler_of(detail::GraphState& g) {
    if (!g.client) throw UsageError("this value outlived the tessera runtime that built it");
    return g.client->scheduler();
}
}  // namespace

Client::Client(Comm& comm, RuntimeOptions options)
    : scheduler_(std::make_unique<Scheduler>(comm, options)), previous_current_(current_client) {
    FunctionRegistry::instance().freeze();
    current_client = this;
    options_ = std::move(options);
}

Client::~Client() {
    try {
        if (!options_.trace_path.empty()) scheduler_->write_trace(options_.trace_path);
        if (!options_.report_path.empty()) scheduler_->write_report(options_.report_path);
        if (options_.summary) std::cerr << scheduler_->collect().to_string();
    } catch (const std::exception& e) {
        std::cerr << "tessera: error: " << e.what() << '\n';
        if (exit_code_ == 0) exit_code_ = 1;
    }
    try {
        scheduler_->shutdown(exit_code_);
    } catch (const std::exception& e) {
        std::cerr << "tessera: error during shutdown: " << e.what() << '\n';
    }
    scheduler_->detach();
    current_client = previous_current_;
}

Client& Client::current() {
    if (!current_client)
        throw UsageError(
            "no tessera runtime on this thread: create a tessera::Runtime first "
            "(lazy calls are built on rank 0 only)");
    return *current_client;
}

RunSummary Client::summary() { return scheduler_->collect(); }
void Client::write_trace(const std::string& path) { scheduler_->write_trace(path); }
double Client::memory_per_task() const { return scheduler_->memory_per_task(); }
int Client::num_workers() const { return scheduler_->num_workers(); }
bool Client::workers_are_processes() const { return scheduler_->workers_are_processes(); }

void Client::write_dot(const std::string& path, detail::GraphState& g,
                       std::span<const TaskId> targets) {
    scheduler_->write_dot(path, g, targets);
}

PriorityScope::PriorityScope(std::int32_t priority) : graph_(detail::building_graph()) {
    previous_ = graph_->graph.default_priority();
    graph_->graph.set_default_priority(priority);
}

PriorityScope::~PriorityScope() { graph_->graph.set_default_priority(previous_); }

namespace detail {

std::shared_ptr<GraphState> building_graph() {
    Client& c = Client::current();
    return c.scheduler().building_graph(&c);
}

std::vector<Bytes> compute(GraphState& g, std::span<const TaskId> targets) {
    return scheduler_of(g).compute(g, targets);
}

void hold(GraphState& g, TaskId id) { scheduler_of(g).hold(g, id); }

void release_hold(GraphState& g, TaskId id) {
    if (g.client) g.client->scheduler().release_hold(g, id);
}

void submit(GraphState& g, std::span<const TaskId> targets) {
    scheduler_of(g).submit(g, targets, false);
}

Bytes future_result(GraphState& g, TaskId id) { return scheduler_of(g).result(g, id); }

std::vector<Bytes> gather(GraphState& g, std::span<const TaskId> ids) {
    return scheduler_of(g).gather(g, ids);
}

bool finished(GraphState& g, TaskId id) { return scheduler_of(g).finished(g, id); }

std::size_t wait_any(GraphState& g, std::span<const TaskId> ids) {
    return scheduler_of(g).wait_any(g, ids);
}

}  // namespace detail
}  // namespace tessera
