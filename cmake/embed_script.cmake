# Run by lambda_embed_file: writes OUT, a C++ file holding the bytes of IN.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN} by cmake/embed_script.cmake. Do not edit.\n#include <string_view>\nnamespace lambda::embedded {\nnamespace {\nconstexpr char kBytes[] = {${bytes} 0};\n}\nextern const std::string_view ${SYMBOL}(kBytes, ${size});\n}\n")
