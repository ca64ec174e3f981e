#pragma once
// Facts about the HDF5 library tessera was built with, for `tessera --version` and bug reports.
#include <string>

namespace tessera::io {

/// "1.10.8" and the like.
std::string hdf5_version();
/// True when HDF5 was built with MPI-IO (parallel HDF5), which tessera requires.
bool hdf5_is_parallel();

}  // namespace tessera::io
