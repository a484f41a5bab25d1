# kubectl dry run of the CRD and the kustomize base config/ against a loopback stand-in API
# server (stub-apiserver.mjs, serving the upstream OpenAPI v3 document). See README.md here.
# Included from test/CMakeLists.txt.
set(_kubectl_test_env "")
if(NODE_EXECUTABLE)
  list(APPEND _kubectl_test_env "NODE=${NODE_EXECUTABLE}")
endif()
add_test(NAME kubectl.DryRunAppliesTheCrd
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/dry-run-test.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(kubectl.DryRunAppliesTheCrd PROPERTIES
                     LABELS "unit;kubectl"
                     TIMEOUT 120
                     ENVIRONMENT "${_kubectl_test_env}")
unset(_kubectl_test_env)
