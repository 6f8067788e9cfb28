# Writes the bytes of IN as a C++ array wisp::detail::NAME (and NAME##Size) into OUT: the
# dashboard's chart module goes into libwisp_serve, so `wisp serve` stays one file.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "// Generated from ${IN}: do not edit.
#include <cstddef>
namespace wisp::detail {
extern const unsigned char ${NAME}[];
extern const size_t ${NAME}Size;
const unsigned char ${NAME}[] = {
${bytes}};
const size_t ${NAME}Size = sizeof ${NAME};
}  // namespace wisp::detail
")
