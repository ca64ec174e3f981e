# Finds everything tessera builds against. Used by the build and, installed, by
# find_package(tessera) in other projects, so both agree on what tessera needs.
include(CMakeFindDependencyMacro)

find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Boost 1.70 REQUIRED COMPONENTS serialization)
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)

# Parallel HDF5: the MPI-IO build, never a serial one that happens to come first.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "tessera needs a parallel (MPI) build of HDF5, but the HDF5 found at "
    "'${HDF5_INCLUDE_DIRS}' is serial. Install the MPI build (Debian: libhdf5-openmpi-dev; "
    "spack: hdf5+mpi) or point HDF5_ROOT at it.")
endif()

# Random123 is header-only: Philox streams for counter-based random arrays.
find_path(TESSERA_RANDOM123_INCLUDE_DIR Random123/philox.h)
if(NOT TESSERA_RANDOM123_INCLUDE_DIR)
  message(FATAL_ERROR "tessera needs Random123 (Debian: librandom123-dev; spack: random123)")
endif()

# SLEEF: the vector math (transcendental functions) of the elementwise kernels.
find_path(TESSERA_SLEEF_INCLUDE_DIR sleef.h)
find_library(TESSERA_SLEEF_LIBRARY sleef)
if(NOT TESSERA_SLEEF_INCLUDE_DIR OR NOT TESSERA_SLEEF_LIBRARY)
  message(FATAL_ERROR "tessera needs SLEEF (Debian: libsleef-dev; spack: sleef)")
endif()
if(NOT TARGET tessera_sleef)
  add_library(tessera_sleef INTERFACE IMPORTED)
  target_include_directories(tessera_sleef INTERFACE ${TESSERA_SLEEF_INCLUDE_DIR})
  target_link_libraries(tessera_sleef INTERFACE ${TESSERA_SLEEF_LIBRARY})
endif()

# LAPACKE (the C interface to LAPACK) and the CBLAS header ship as separate pieces on some
# systems; find them explicitly so a missing one is named.
find_path(TESSERA_LAPACKE_INCLUDE_DIR lapacke.h PATH_SUFFIXES openblas)
find_path(TESSERA_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread)
find_library(TESSERA_LAPACKE_LIBRARY NAMES lapacke openblas)
if(NOT TESSERA_LAPACKE_INCLUDE_DIR OR NOT TESSERA_LAPACKE_LIBRARY OR NOT TESSERA_CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "tessera needs LAPACKE and CBLAS (Debian: liblapacke-dev libopenblas-dev; "
                      "spack: openblas)")
endif()
if(NOT TARGET tessera_lapacke)
  add_library(tessera_lapacke INTERFACE IMPORTED)
  target_include_directories(tessera_lapacke INTERFACE ${TESSERA_LAPACKE_INCLUDE_DIR} ${TESSERA_CBLAS_INCLUDE_DIR})
  target_link_libraries(tessera_lapacke INTERFACE ${TESSERA_LAPACKE_LIBRARY} LAPACK::LAPACK BLAS::BLAS)
endif()
