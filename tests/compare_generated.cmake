# Runs TOOL, writes its output to ACTUAL and fails when it differs from the committed EXPECTED.
execute_process(COMMAND ${TOOL} OUTPUT_FILE ${ACTUAL} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TOOL} failed (${status})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${EXPECTED} ${ACTUAL} RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${EXPECTED} is out of date: regenerate it with\n  ${TOOL} > ${EXPECTED}")
endif()
