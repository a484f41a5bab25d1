# The fuzz corpus as a regression test of ordinary builds: every seed and every saved crash
# under fuzz/corpus/lambda_agent goes through the fuzz target's checks (fuzz/lambda_agent_fuzz.cc)
# without libFuzzer. Included from test/CMakeLists.txt.

add_executable(lambda_agent_fuzz_replay
  ${PROJECT_SOURCE_DIR}/fuzz/lambda_agent_fuzz.cc
  ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
target_link_libraries(lambda_agent_fuzz_replay PRIVATE lambda_render lambda_api lambda_common)

add_test(NAME fuzz.LambdaAgentCorpusReplay
         COMMAND lambda_agent_fuzz_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/lambda_agent)
set_tests_properties(fuzz.LambdaAgentCorpusReplay PROPERTIES LABELS unit)
