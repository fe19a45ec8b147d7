# Runs TOOL, writes its output to ACTUAL and fails when it differs from the committed EXPECTED.
# A missing EXPECTED is written from the output (and the test fails once, so it gets committed).
execute_process(COMMAND ${TOOL} OUTPUT_FILE ${ACTUAL} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TOOL} failed (${status})")
endif()
if(NOT EXISTS ${EXPECTED})
  file(COPY_FILE ${ACTUAL} ${EXPECTED})
  message(FATAL_ERROR "${EXPECTED} was missing: written from ${TOOL}; commit it")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${EXPECTED} ${ACTUAL} RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${EXPECTED} is out of date: regenerate it with\n  ${TOOL} > ${EXPECTED}")
endif()
