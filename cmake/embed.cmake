# lambda_embed_file(TARGET target SYMBOL name FILE path): compiles the bytes of a data file into
# `target` as `extern const std::string_view name` (namespace lambda::embedded), so that programs
# carry their data and never read the source tree at run time.
function(lambda_embed_file)
  cmake_parse_arguments(ARG "" "TARGET;SYMBOL;FILE" "" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_${ARG_SYMBOL}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DIN=${ARG_FILE} -DOUT=${out} -DSYMBOL=${ARG_SYMBOL}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_script.cmake
    DEPENDS "${ARG_FILE}" ${PROJECT_SOURCE_DIR}/cmake/embed_script.cmake
    COMMENT "Embedding ${ARG_FILE}")
  target_sources(${ARG_TARGET} PRIVATE "${out}")
  set_source_files_properties("${out}" PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
endfunction()
