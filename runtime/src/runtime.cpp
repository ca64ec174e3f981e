#include "tessera/runtime/runtime.hpp"

#include <malloc.h>
#include <omp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>

#include "interruption.hpp"
#include "mpi_comm.hpp"
#include "tessera/io/scratch.hpp"
#include "worker.hpp"

namespace tessera {

namespace {

std::filesystem::path default_local_dir(const RuntimeOptions& options) {
    return options.local_dir.empty() ? io::default_scratch_directory()
                                     : std::filesystem::path(options.local_dir);
}

/// 80% of the node's physical memory divided among the ranks on the node.
std::size_t default_memory_limit(int ranks_on_node) {
    const auto pages = sysconf(_SC_PHYS_PAGES);
    const auto page = sysconf(_SC_PAGE_SIZE);
    const double total =
        pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 4e9;
    return static_cast<std::size_t>(0.8 * total / std::max(ranks_on_node, 1));
}

/// Keeps freed memory for reuse instead of returning it to the kernel: every fresh page of a
/// chunk-sized allocation costs a fault and a zeroing, which costs more than the kernels that
/// fill it. Medium buffers (HDF5's chunk buffers, messages) stay on the heap; large ones go
/// through the block cache, sized to a quarter of a worker's memory limit.
void tune_allocator(std::size_t memory_limit) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    tessera::detail::set_large_cache_limit(memory_limit / 4);
}

WorkerConfig worker_config(const RuntimeOptions& options, int rank, int ranks_on_node,
                           std::chrono::steady_clock::time_point epoch) {
    WorkerConfig c;
    c.memory_limit =
        options.memory_limit ? options.memory_limit : default_memory_limit(ranks_on_node);
    c.local_dir = default_local_dir(options);
    c.spill_tag = "rank" + std::to_string(rank);
    c.rank = rank;
    c.epoch = epoch;
    return c;
}

}  // namespace

struct Runtime::Transport {
    std::unique_ptr<MpiComm> mpi;
};

LocalCluster::LocalCluster(int workers, RuntimeOptions options)
    : world_(std::make_unique<InProcessWorld>(workers + 1)),
      group_(std::make_unique<InProcessGroup>(workers)) {
    FunctionRegistry::instance().freeze();
    const auto epoch = std::chrono::steady_clock::now();
    for (int r = 1; r <= workers; ++r) {
        workers_.emplace_back([this, config = worker_config(options, r, workers + 1, epoch), r] {
            try {
                Worker(world_->endpoint(r), group_->member(r - 1), config).run();
            } catch (const std::exception& e) {
                std::cerr << "tessera: worker thread " << r << " failed: " << e.what() << '\n';
                std::abort();  // as mpi::abort_job would: the scheduler would wait for it forever
            }
        });
    }
    client_ = std::make_unique<Client>(world_->endpoint(0), std::move(options));
}

LocalCluster::~LocalCluster() {
    client_.reset();  // sends the shutdown
    for (auto& t : workers_) t.join();
}

Runtime::Runtime(int& argc, char**& argv, RuntimeOptions options)
    : transport_(std::make_unique<Transport>()) {
    interruption::install();  // before MPI and OpenMP start threads: they inherit its signal mask
    FunctionRegistry::instance().freeze();
    // Sleeps in the idle back-off should last microseconds, not the default 50 us slack.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if (options.threads > 0) omp_set_num_threads(options.threads);

    mpi::initialize(argc, argv);
    const int rank = mpi::world_rank();
    world_size_ = mpi::world_size();
    interruption::set_rank(rank, world_size_);
    const int ranks_on_node = mpi::ranks_on_node();
    // The workers' own group, for collective phases such as a rechunk or opening a parallel file.
    std::unique_ptr<MpiWorkerGroup> group = MpiWorkerGroup::split_workers(MPI_COMM_WORLD);
    // Trace timestamps of all ranks count from the end of this barrier.
    mpi::world_barrier();
    const auto epoch = std::chrono::steady_clock::now();

    if (world_size_ == 1) {
        const WorkerConfig config = worker_config(options, 1, 1, epoch);
        io::remove_abandoned_spill(config.local_dir);  // what killed jobs on this host left
        tune_allocator(config.memory_limit);
        local_ = std::make_unique<LocalCluster>(1, std::move(options));
        return;
    }
    transport_->mpi = std::make_unique<MpiComm>(MPI_COMM_WORLD);
    if (rank == 0) {
        client_ = std::make_unique<Client>(*transport_->mpi, std::move(options));
        return;
    }
    int code = 1;
    const WorkerConfig config = worker_config(options, rank, ranks_on_node, epoch);
    io::remove_abandoned_spill(config.local_dir);  // what killed jobs on this host left
    tune_allocator(config.memory_limit);
    try {
        code = Worker(*transport_->mpi, *group, config).run();
    } catch (const std::exception& e) {
        std::cerr << "tessera: worker rank " << rank << " failed: " << e.what() << '\n';
        mpi::abort_job(1);  // the scheduler would wait forever for this rank
    }
    transport_.reset();
    group.reset();
    mpi::finalize();
    std::exit(code);
}

Runtime::~Runtime() {
    if (std::uncaught_exceptions() > 0 && client().exit_code() == 0) client().set_exit_code(1);
    client_.reset();  // sends the shutdown
    local_.reset();
    transport_.reset();
    mpi::finalize();
}

int Runtime::run(const std::function<void()>& driver) {
    try {
        driver();
    } catch (const std::exception& e) {
        std::cerr << "tessera: error: " << error_message(e) << '\n';
        client().set_exit_code(1);
    }
    return client().exit_code();
}

}  // namespace tessera
