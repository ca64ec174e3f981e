# The one way to register a test. Without MPI_SIZES the test runs as a plain process; with
# MPI_SIZES it runs under mpiexec once per size (tests use 3 and 4 ranks: rank 0 schedules, so
# 2 ranks would mean a single worker and hide bugs). OMP_NUM_THREADS=1 keeps oversubscribed
# runs on 2-vCPU machines sane.
find_package(GTest REQUIRED)

set(TESSERA_MPIEXEC_PREFLAGS "--oversubscribe" CACHE STRING "Flags for mpiexec in tests")
set(TESSERA_TEST_ENVIRONMENT OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1)
# For every test that starts MPI. Open MPI's plugins leak at exit and are unloaded before
# LeakSanitizer can name them, so leak checks run in the tests without MPI only; address and UB
# checks run everywhere.
# A huge allocation fails as it does without the sanitizer (std::bad_alloc, which tessera reports
# as "out of memory") instead of ending the process.
set(TESSERA_MPI_TEST_ENVIRONMENT ${TESSERA_TEST_ENVIRONMENT})
if(TESSERA_SANITIZE)
  list(APPEND TESSERA_TEST_ENVIRONMENT ASAN_OPTIONS=allocator_may_return_null=1)
  list(APPEND TESSERA_MPI_TEST_ENVIRONMENT ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1)
endif()

function(tessera_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBRARIES;MPI_SIZES;LABELS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${name}.cpp)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gtest)
  if(ARG_MPI_SIZES)
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/mpi_test_main.cpp)
    foreach(n IN LISTS ARG_MPI_SIZES)
      add_test(NAME ${name}_np${n}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${TESSERA_MPIEXEC_PREFLAGS}
                       $<TARGET_FILE:${name}>)
      set_tests_properties(${name}_np${n} PROPERTIES
        ENVIRONMENT "${TESSERA_MPI_TEST_ENVIRONMENT};${ARG_ENVIRONMENT}" TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${n}
        LABELS "mpi;${ARG_LABELS}")
    endforeach()
  else()
    target_link_libraries(${name} PRIVATE GTest::gtest_main)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${TESSERA_TEST_ENVIRONMENT};${ARG_ENVIRONMENT}"
                         TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
  endif()
endfunction()
