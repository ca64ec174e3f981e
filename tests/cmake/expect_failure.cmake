# Runs PROGRAM ARGS under MPIEXEC with NP ranks and passes only if it exits non-zero (EXIT_CODE
# exactly, when given) within the timeout, its stderr matches EXPECT exactly once, and the file
# NO_OUTPUT (when given) was not left behind.
if(NO_OUTPUT)
  file(REMOVE ${NO_OUTPUT})
endif()
execute_process(COMMAND ${MPIEXEC} -n ${NP} ${PREFLAGS} ${PROGRAM} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 90)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit, got 0\nstderr:\n${err}")
endif()
if(rc MATCHES "timeout")
  message(FATAL_ERROR "the failing job hung\nstderr:\n${err}")
endif()
if(DEFINED EXIT_CODE AND NOT rc EQUAL EXIT_CODE)
  message(FATAL_ERROR "expected exit code ${EXIT_CODE}, got ${rc}\nstderr:\n${err}")
endif()
# A ';' would split the matches into list items: count them on a copy without.
string(REPLACE ";" "," err_text "${err}")
string(REGEX MATCHALL "${EXPECT}" matches "${err_text}")
list(LENGTH matches n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one message matching '${EXPECT}', found ${n}\nstderr:\n${err}")
endif()
if(NO_OUTPUT AND EXISTS ${NO_OUTPUT})
  message(FATAL_ERROR "${NO_OUTPUT} was left behind")
endif()
message(STATUS "exit code ${rc}; message: ${matches}")
