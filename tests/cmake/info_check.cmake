# `tessera info` on a file written by h5py (groups, gzip + shuffle, str and array attributes,
# a string dataset tessera cannot read) lists everything with the right facts.
execute_process(COMMAND ${PYTHON} -c "
import h5py, numpy as np
with h5py.File('${FILE}', 'w') as f:
    f.attrs['title'] = 'made by h5py'
    g = f.create_group('sim/run1')
    g.attrs['steps'] = 10
    g.create_dataset('u', data=np.zeros((100, 50), 'f4'), chunks=(10, 50), compression='gzip', compression_opts=4, shuffle=True)
    f.create_dataset('names', data=np.array([b'a', b'b']))
    f.create_dataset('v', data=np.arange(10)).attrs['units'] = np.array([1.5, 2.5])
" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "h5py could not write the file:\n${err}")
endif()
execute_process(COMMAND ${TESSERA} info ${FILE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tessera info failed (${rc}):\n${err}")
endif()
foreach(line "/  group\n    @title = 'made by h5py'" "/sim/run1  group\n    @steps = 10"
             "/sim/run1/u  dataset \\(100, 50\\) float32  chunks \\(10, 50\\)  shuffle \\+ gzip 4"
             "/names  dataset \\(2,\\) string  contiguous" "/v  dataset \\(10,\\) int64  contiguous\n    @units = \\[1.5, 2.5\\]")
  if(NOT out MATCHES "${line}")
    message(FATAL_ERROR "expected '${line}' in:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${TESSERA} info ${FILE}.missing RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "cannot open ${FILE}.missing: No such file or directory")
  message(FATAL_ERROR "a missing file gave ${rc}:\n${err}")
endif()
message(STATUS "${out}")
