# lambda_add_gtest(NAME SOURCES a.cc b.cc LIBS lib1 lib2 [LABELS l1])
# One GoogleTest executable whose tests CTest discovers one by one, so the closing summary
# counts real tests.
function(lambda_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    LAMBDA_SOURCE_DIR="${PROJECT_SOURCE_DIR}" LAMBDA_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(labels unit ${ARG_LABELS})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# lambda_add_layer(NAME DIR LIBS ...): one static library per architecture layer from the
# folder's *.cc files, and one test executable (NAME_test) from its *_test.cc files. Globbing
# with CONFIGURE_DEPENDS keeps a new file from needing a CMake edit.
function(lambda_add_layer name)
  cmake_parse_arguments(ARG "" "" "LIBS;TEST_LIBS;PCH" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources "")
  set(test_sources "")
  foreach(f IN LISTS all_sources)
    if(f MATCHES "_test\\.cc$")
      list(APPEND test_sources ${f})
    else()
      list(APPEND lib_sources ${f})
    endif()
  endforeach()
  if(NOT lib_sources)
    message(STATUS "${name}: no sources yet")
    return()
  endif()
  add_library(${name} STATIC ${lib_sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_LIBS})
  if(ARG_PCH)
    target_precompile_headers(${name} PRIVATE ${ARG_PCH})
  endif()
  if(LAMBDA_BUILD_TESTS AND test_sources)
    lambda_add_gtest(${name}_test SOURCES ${test_sources} LIBS ${name} ${ARG_TEST_LIBS})
    if(ARG_PCH)
      target_precompile_headers(${name}_test REUSE_FROM ${name})
    endif()
  endif()
endfunction()
