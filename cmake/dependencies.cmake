# Every third-party dependency, found once. All come from Debian 12 packages
# (scripts/install-deps.sh installs them).

find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json url system)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tl-expected CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
if(LAMBDA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
