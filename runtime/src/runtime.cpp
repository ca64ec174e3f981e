#include "tessera/runtime/runtime.hpp"

#include <mpi.h>
#include <omp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <malloc.h>

#include <cstdlib>
#include <exception>
#include <iostream>

#include "mpi_comm.hpp"
#include "worker.hpp"
#include "worker_communicator.hpp"

namespace tessera {

namespace detail {
namespace {
MPI_Comm workers_comm = MPI_COMM_NULL;
}
MPI_Comm worker_communicator() { return workers_comm; }
void set_worker_communicator(MPI_Comm comm) { workers_comm = comm; }
namespace {
thread_local int worker_rank = -1;
}
int this_worker_rank() { return worker_rank; }
void set_this_worker_rank(int rank) { worker_rank = rank; }
}  // namespace detail

namespace {

std::filesystem::path default_local_dir(const RuntimeOptions& options) {
    if (!options.local_dir.empty()) return options.local_dir;
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) return tmp;
    return "/tmp";
}

/// 80% of the node's physical memory divided among the ranks on the node.
std::size_t default_memory_limit(int ranks_on_node) {
    const auto pages = sysconf(_SC_PHYS_PAGES);
    const auto page = sysconf(_SC_PAGE_SIZE);
    const double total = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 4e9;
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
    c.memory_limit = options.memory_limit ? options.memory_limit : default_memory_limit(ranks_on_node);
    c.local_dir = default_local_dir(options);
    c.spill_tag = std::to_string(getpid()) + "-rank" + std::to_string(rank);
    c.epoch = epoch;
    return c;
}

}  // namespace

struct Runtime::Transport {
    std::unique_ptr<MpiComm> mpi;
};

LocalCluster::LocalCluster(int workers, RuntimeOptions options)
    : world_(std::make_unique<InProcessWorld>(workers + 1)) {
    FunctionRegistry::instance().freeze();
    const auto epoch = std::chrono::steady_clock::now();
    for (int r = 1; r <= workers; ++r) {
        workers_.emplace_back([this, config = worker_config(options, r, workers + 1, epoch), r] {
            try {
                Worker(world_->endpoint(r), config).run();
            } catch (const std::exception& e) {
                std::cerr << "tessera: worker thread " << r << " failed: " << e.what() << '\n';
                std::abort();  // as MPI_Abort would: the scheduler would wait for it forever
            }
        });
    }
    client_ = std::make_unique<Client>(world_->endpoint(0), std::move(options));
}

LocalCluster::~LocalCluster() {
    client_.reset();  // sends the shutdown
    for (auto& t : workers_) t.join();
}

Runtime::Runtime(int& argc, char**& argv, RuntimeOptions options) : transport_(std::make_unique<Transport>()) {
    FunctionRegistry::instance().freeze();
    // Sleeps in the idle back-off should last microseconds, not the default 50 us slack.
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if (options.threads > 0) omp_set_num_threads(options.threads);

    int provided = 0;
    TESSERA_CHECK_MPI(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
    if (provided < MPI_THREAD_FUNNELED) throw CommError("the MPI library does not provide MPI_THREAD_FUNNELED");
    int rank = 0;
    TESSERA_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    TESSERA_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &world_size_));
    MPI_Comm node;
    TESSERA_CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
    int ranks_on_node = 1;
    TESSERA_CHECK_MPI(MPI_Comm_size(node, &ranks_on_node));
    MPI_Comm_free(&node);
    // The workers' own communicator, for collective phases such as opening a parallel file.
    MPI_Comm workers = MPI_COMM_NULL;
    TESSERA_CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? MPI_UNDEFINED : 1, rank, &workers));
    // Trace timestamps of all ranks count from the end of this barrier.
    TESSERA_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    const auto epoch = std::chrono::steady_clock::now();

    if (world_size_ == 1) {
        tune_allocator(worker_config(options, 1, 1, epoch).memory_limit);
        local_ = std::make_unique<LocalCluster>(1, std::move(options));
        return;
    }
    transport_->mpi = std::make_unique<MpiComm>(MPI_COMM_WORLD);
    if (rank == 0) {
        client_ = std::make_unique<Client>(*transport_->mpi, std::move(options));
        return;
    }
    int code = 1;
    detail::set_worker_communicator(workers);
    const WorkerConfig config = worker_config(options, rank, ranks_on_node, epoch);
    tune_allocator(config.memory_limit);
    try {
        code = Worker(*transport_->mpi, config).run();
    } catch (const std::exception& e) {
        std::cerr << "tessera: worker rank " << rank << " failed: " << e.what() << '\n';
        MPI_Abort(MPI_COMM_WORLD, 1);  // the scheduler would wait forever for this rank
    }
    transport_.reset();
    MPI_Comm_free(&workers);
    MPI_Finalize();
    std::exit(code);
}

Runtime::~Runtime() {
    if (std::uncaught_exceptions() > 0 && client().exit_code() == 0) client().set_exit_code(1);
    client_.reset();  // sends the shutdown
    local_.reset();
    transport_.reset();
    MPI_Finalize();
}

int Runtime::run(const std::function<void()>& driver) {
    try {
        driver();
    } catch (const std::exception& e) {
        std::cerr << "tessera: error: " << e.what() << '\n';
        client().set_exit_code(1);
    }
    return client().exit_code();
}

}  // namespace tessera
