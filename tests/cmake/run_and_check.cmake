# Runs PROGRAM under MPIEXEC with NP ranks, saves its stdout, then runs CHECKER on OUTPUT and
# the saved stdout; passes when both succeed.
file(REMOVE ${OUTPUT})
execute_process(COMMAND ${MPIEXEC} -n ${NP} ${PREFLAGS} ${PROGRAM} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_FILE ${OUTPUT}.stdout ERROR_VARIABLE err TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the program failed (${rc}):\n${err}")
endif()
execute_process(COMMAND h5dump -H ${OUTPUT} RESULT_VARIABLE rc OUTPUT_VARIABLE dump)
if(NOT rc EQUAL 0 OR NOT dump MATCHES "DATASET \"x\"")
  message(FATAL_ERROR "h5dump cannot read ${OUTPUT}:\n${dump}")
endif()
execute_process(COMMAND ${CHECKER} ${OUTPUT} ${OUTPUT}.stdout RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the independent check failed:\n${out}${err}")
endif()
message(STATUS "${out}")
