# Writes the text of IN as a C++ string constant wisp::detail::NAME into OUT. With
# STRIP_INCLUDES, the `#include` lines are left out (the C prelude declares what they would
# bring itself: compile/emit/c_prelude.cpp).
file(READ "${IN}" content)
if(STRIP_INCLUDES)
  string(REGEX REPLACE "\n#include [<\"][^\n]*" "\n" content "${content}")
endif()
file(WRITE "${OUT}" "// Generated from ${IN}: do not edit.\nnamespace wisp::detail {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"WISPTEXT(${content})WISPTEXT\";\n}\n")
