#pragma once
// The communicator of the worker ranks (MPI_COMM_WORLD without rank 0), made once when the
// runtime starts, for the collective phases of the collections (parallel HDF5). MPI_COMM_NULL
// on rank 0 and in one-process jobs, where workers are threads.
#include <mpi.h>

namespace tessera::detail {

MPI_Comm worker_communicator();
void set_worker_communicator(MPI_Comm comm);

}  // namespace tessera::detail
