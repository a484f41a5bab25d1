# Compiler flags, caching and linking shared by every target.

add_compile_options(-Wall -Wextra -Werror)
# g++ 12 at -O2 reports array-bounds/stringop/restrict "errors" inside libstdc++'s std::string
# operator+ that depend on string literal lengths (GCC bugs 105329, 105651, 106199): the same
# code builds or fails depending on, e.g., the checkout path baked into a literal. They stay
# warnings there, so a real one is still seen, but they cannot break the build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-error=array-bounds -Wno-error=stringop-overflow
                      -Wno-error=stringop-overread -Wno-error=restrict)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

# mold links our test binaries several times faster than GNU ld; g++ >= 12.1 and clang accept it.
find_program(MOLD_PROGRAM mold)
if(MOLD_PROGRAM)
  add_link_options(-fuse-ld=mold)
endif()

if(LAMBDA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
