# End-to-end check of a tessera script: optionally generates its input with `tessera gen`
# (GEN_ARGS), runs `tessera run RUN_ARGS` under MPIEXEC with NP ranks saving stdout to STDOUT,
# optionally checks OUTPUT with h5dump, then runs the independent CHECKER with CHECK_ARGS.
if(GEN_ARGS)
  execute_process(COMMAND ${MPIEXEC} -n ${NP} ${PREFLAGS} ${TESSERA} gen ${GEN_ARGS}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tessera gen failed (${rc}):\n${out}${err}")
  endif()
endif()
if(OUTPUT)
  file(REMOVE ${OUTPUT})
endif()
execute_process(COMMAND ${MPIEXEC} -n ${NP} ${PREFLAGS} ${TESSERA} run --progress none ${RUN_ARGS}
                RESULT_VARIABLE rc OUTPUT_FILE ${STDOUT} ERROR_VARIABLE err TIMEOUT 240)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tessera run failed (${rc}):\n${err}")
endif()
if(OUTPUT)
  execute_process(COMMAND h5dump -H ${OUTPUT} RESULT_VARIABLE rc OUTPUT_VARIABLE dump)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "h5dump cannot read ${OUTPUT}:\n${dump}")
  endif()
endif()
execute_process(COMMAND ${CHECKER} ${CHECK_ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the independent check failed:\n${out}${err}")
endif()
message(STATUS "${out}")
