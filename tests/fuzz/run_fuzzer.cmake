# Runs a libFuzzer target (FUZZER) for a bounded time in WORK with ARGS, then judges every input it
# kept as a crash (crash-*, oom-*, timeout-*, leak-*): each fails the test, unless LIBRARY is set
# and the input's stack reaches that library's frames before any of tessera's, which makes it the
# library's bug (printed, kept, not tessera's to fix). An input that does not fail when replayed
# on its own is printed and kept, not judged.
file(GLOB stale ${WORK}/crash-* ${WORK}/oom-* ${WORK}/timeout-* ${WORK}/leak-*)
if(stale)
  file(REMOVE ${stale})
endif()
execute_process(COMMAND ${FUZZER} ${ARGS} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                ERROR_VARIABLE err OUTPUT_VARIABLE out)
string(REGEX MATCHALL "stat::[a-z_]+: *[0-9]+" stats "${err}")
string(REPLACE ";" "\n  " stats "${stats}")
message(STATUS "exit ${rc}\n  ${stats}")
file(GLOB found ${WORK}/crash-* ${WORK}/oom-* ${WORK}/timeout-* ${WORK}/leak-*)
set(ours "")
# Whose bug a replay's trace shows: LIBRARY's or tessera's, by whichever frame comes first; empty
# when no frame names either.
function(first_owner trace out)
  set(names "tessera::")
  if(LIBRARY)
    set(names "${LIBRARY}|tessera::")
  endif()
  string(REGEX MATCH "#[0-9]+ [^\n]*(${names})" first "${trace}")
  set(owner "")
  if(first)
    set(owner tessera)
    if(LIBRARY AND first MATCHES "${LIBRARY}")
      set(owner ${LIBRARY})
    endif()
  endif()
  set(${out} "${owner}" PARENT_SCOPE)
endfunction()
set(replay ${FUZZER} -timeout=10 -rss_limit_mb=3072 -detect_leaks=0)
foreach(input IN LISTS found)
  get_filename_component(name ${input} NAME)
  execute_process(COMMAND ${replay} ${input} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE replay_rc
                  ERROR_VARIABLE trace)
  if(replay_rc EQUAL 0)
    # It failed only after other inputs in the same process (fork mode runs many in each child,
    # and libhdf5 keeps state across them): there is no regression test to make of it alone.
    message(STATUS "${name}: does not fail when run alone, kept in ${WORK}")
    continue()
  endif()
  first_owner("${trace}" owner)
  if(NOT owner AND trace MATCHES "out-of-memory \\(used:")
    # The peak was over the limit, but what is still allocated does not say who asked for it: a
    # limit on one allocation stops at the large one, with its stack.
    execute_process(COMMAND ${replay} -malloc_limit_mb=256 ${input} WORKING_DIRECTORY ${WORK}
                    ERROR_VARIABLE trace)
    first_owner("${trace}" owner)
  endif()
  if(LIBRARY AND owner STREQUAL LIBRARY)
    message(STATUS "${name}: inside ${LIBRARY}, kept in ${WORK}")
  else()
    list(APPEND ours ${name})
    message("${name}: tessera's\n${trace}")
  endif()
endforeach()
file(GLOB inputs ${WORK}/input-*)  # the file each crashed child of fork mode was reading
if(inputs)
  file(REMOVE ${inputs})
endif()
if(ours)
  message(FATAL_ERROR "the fuzzer found ${ours} in ${WORK}: make each a regression test")
endif()
if(NOT found AND NOT rc EQUAL 0)
  message(FATAL_ERROR "the fuzzer failed (exit ${rc}) without keeping an input:\n${err}")
endif()
