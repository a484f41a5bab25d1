# The fuzz corpora as regression tests of ordinary builds: every seed and every saved crash
# under fuzz/corpus/<target> goes through its fuzz target's checks without libFuzzer.
# Included from test/CMakeLists.txt.

# The agent pipeline (fuzz/lambda_agent_fuzz.cc).
add_executable(lambda_agent_fuzz_replay
  ${PROJECT_SOURCE_DIR}/fuzz/lambda_agent_fuzz.cc
  ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
target_link_libraries(lambda_agent_fuzz_replay PRIVATE lambda_render lambda_api lambda_common)

add_test(NAME fuzz.LambdaAgentCorpusReplay
         COMMAND lambda_agent_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/lambda_agent)
set_tests_properties(fuzz.LambdaAgentCorpusReplay PROPERTIES LABELS unit)

# The API server's request handling (fuzz/apiserver_request_fuzz.cc): every seed is one request
# to a server started in the test process.
add_executable(apiserver_request_fuzz_replay
  ${PROJECT_SOURCE_DIR}/fuzz/apiserver_request_fuzz.cc
  ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
target_link_libraries(apiserver_request_fuzz_replay PRIVATE
  lambda_apiserver lambda_api lambda_kube lambda_http lambda_common)
add_test(NAME fuzz.ApiServerRequestCorpusReplay
         COMMAND apiserver_request_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/apiserver_request)
set_tests_properties(fuzz.ApiServerRequestCorpusReplay PROPERTIES LABELS "unit;apiserver" TIMEOUT 300)

# Patches, apply, selectors and the CRD schema (fuzz/patch_fuzz.cc), in process.
add_executable(patch_fuzz_replay
  ${PROJECT_SOURCE_DIR}/fuzz/patch_fuzz.cc
  ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
target_link_libraries(patch_fuzz_replay PRIVATE lambda_apiserver lambda_api lambda_kube lambda_common)
add_test(NAME fuzz.PatchCorpusReplay
         COMMAND patch_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/patch)
set_tests_properties(fuzz.PatchCorpusReplay PROPERTIES LABELS "unit;apiserver")
