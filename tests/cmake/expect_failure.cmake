# Runs PROGRAM under MPIEXEC with NP ranks and passes only if it exits non-zero within the
# timeout and its stderr matches EXPECT exactly once.
execute_process(COMMAND ${MPIEXEC} -n ${NP} ${PREFLAGS} ${PROGRAM}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 90)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit, got 0\nstderr:\n${err}")
endif()
if(rc MATCHES "timeout")
  message(FATAL_ERROR "the failing job hung\nstderr:\n${err}")
endif()
string(REGEX MATCHALL "${EXPECT}" matches "${err}")
list(LENGTH matches n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one message matching '${EXPECT}', found ${n}\nstderr:\n${err}")
endif()
message(STATUS "exit code ${rc}; message: ${matches}")
