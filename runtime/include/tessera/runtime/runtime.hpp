#pragma once
// The process-level entry point, one per rank (SPMD):
//
//   int main(int argc, char** argv) {
//       tessera::Runtime rt(argc, argv);         // ranks >= 1 work here and exit
//       return rt.run([&] { ... build graphs, compute ... });   // rank 0 only
//   }
//
// Rank 0 is driver and scheduler; ranks >= 1 are workers. With one rank (mpirun -n 1, or no
// launcher at all) rank 0 runs a worker thread beside the driver, for debugging.
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tessera/runtime/client.hpp"
#include "tessera/runtime/options.hpp"
#include "tessera/runtime/worker_group.hpp"

namespace tessera {

/// The MPI library's name and version, its first line (for --version).
std::string mpi_library_version();

/// Where the driver is, in its user's terms ("heat.tsr:12"), for the message of a job that a
/// signal ends (SIGTERM, SIGINT, SIGUSR1, SIGUSR2: see Runtime). Thread-safe.
void set_driver_location(std::string where);

/// Driver and workers as threads of this process over the in-process transport (Dask's
/// LocalCluster(processes=False)). Used by one-rank jobs and by tests of the scheduling logic.
/// No MPI involved.
class LocalCluster {
public:
    explicit LocalCluster(int workers, RuntimeOptions options = {});
    /// Shuts the workers down and joins their threads.
    ~LocalCluster();
    LocalCluster(const LocalCluster&) = delete;
    LocalCluster& operator=(const LocalCluster&) = delete;

    Client& client() { return *client_; }

private:
    std::unique_ptr<InProcessWorld> world_;
    std::unique_ptr<InProcessGroup> group_;
    std::vector<std::thread> workers_;
    std::unique_ptr<Client> client_;
};

class Runtime {
public:
    /// Collective over MPI_COMM_WORLD: initialises MPI. On ranks >= 1 it runs the worker loop and
    /// ends the process (std::exit with the driver's exit code); it returns only on rank 0.
    /// Construct it first in main, before any thread starts: from here on SIGTERM, SIGINT,
    /// SIGUSR1 and SIGUSR2 end the job on every rank that receives them, removing its temporary
    /// outputs and spill files, with exit code 128 + the signal (143 for SIGTERM). Spill files
    /// that killed jobs (SIGKILL) left on this host are removed as the workers start.
    Runtime(int& argc, char**& argv, RuntimeOptions options = {});
    /// Shuts the workers down (with the exit code of run) and finalises MPI.
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    Client& client() { return local_ ? local_->client() : *client_; }
    int world_size() const { return world_size_; }

    /// Runs the driver program. A tessera::Error or other exception is printed as one line on
    /// stderr and gives exit code 1 (on every rank); returns the exit code for main.
    int run(const std::function<void()>& driver);

private:
    struct Transport;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<LocalCluster> local_;  // one-rank jobs
    std::unique_ptr<Client> client_;       // multi-rank jobs, rank 0
    int world_size_ = 1;
};

}  // namespace tessera
