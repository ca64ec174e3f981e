#pragma once
// The communicator of the worker ranks (MPI_COMM_WORLD without rank 0), made once when the
// runtime starts, for the collective phases of the collections (parallel HDF5). MPI_COMM_NULL
// on rank 0 and in one-process jobs, where workers are threads.
#include <mpi.h>

namespace tessera::detail {

MPI_Comm worker_communicator();
void set_worker_communicator(MPI_Comm comm);

/// The world rank of the worker whose progress thread this is (collective tasks run there),
/// or -1 on other threads. Worker ranks are 1..W, in the worker communicator 0..W-1.
int this_worker_rank();
void set_this_worker_rank(int rank);

}  // namespace tessera::detail
