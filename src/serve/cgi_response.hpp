// A WASI route's CGI response (RFC 3875 6.2): the program's output starts with header lines and
// an empty line; wisp takes Content-Type and Status from them and ignores the other fields.
#pragma once

#include <string>

#include "serve/http_message.hpp"

namespace wisp::serve {

// Splits `output` into headers and body and applies them to `r` (status, content type, body).
// False with `error` set when the output has no valid header section: no empty line within the
// first 8 KiB, a line that is not "Name: value", or a Status that is not a number 200-599.
bool apply_cgi_response(std::string output, HttpResponse& r, std::string& error);

}  // namespace wisp::serve
