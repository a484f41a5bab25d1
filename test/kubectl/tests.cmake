# kubectl (a real client) end to end against the embedded API server (src/apiserver); see
# README.md here. Included from test/CMakeLists.txt.
if(TARGET lambda_apiserver)
  lambda_add_gtest(kubectl_e2e_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/kubectl_e2e_test.cc
                   LIBS lambda_apiserver LABELS kubectl)
endif()
if(TARGET lambda-apiserver)
  add_test(NAME kubectl.LambdaApiserverCommandLine
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lambda-apiserver-cli.sh $<TARGET_FILE:lambda-apiserver>)
  set_tests_properties(kubectl.LambdaApiserverCommandLine PROPERTIES LABELS "unit;kubectl" TIMEOUT 120)
endif()
