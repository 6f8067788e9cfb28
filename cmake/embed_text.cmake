# Writes the text of IN as a C++ string constant (wisp::detail::kAbiHeaderText) into OUT.
file(READ "${IN}" content)
file(WRITE "${OUT}" "// Generated from ${IN}: do not edit.\nnamespace wisp::detail {\nextern const char* const kAbiHeaderText;\nconst char* const kAbiHeaderText = R\"WISPABI(${content})WISPABI\";\n}\n")
