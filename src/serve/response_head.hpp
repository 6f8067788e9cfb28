// The head of an HTTP/1.x answer (status line and header fields), written into one string that
// goes out with the body in one write. Beast's serializer walks nested buffer sequences to write
// the same bytes, and that walk cost about a tenth of a small request's CPU.
#pragma once

#include <cstddef>
#include <string>

#include "serve/http_message.hpp"

namespace wisp::serve {

// Whether an answer of this status carries content: not 204 (No Content) nor 304 (Not
// Modified), whose answers end after the head whatever a guest wrote (RFC 9110, 6.4.1).
bool status_has_content(unsigned status);

// Writes into `out` (cleared first) the head of `res` for a request of HTTP version `version`
// (as Beast counts: 11 is 1.1; the answer is HTTP/1.0 below 11, else HTTP/1.1): "Server: wisp", the
// Content-Type, res.headers, Content-Length (res.body's size, also for a HEAD's answer, which
// carries no body; none for a status without content),
// and the Connection field that `keep_alive` needs for that version. The fields that frame the
// message (Content-Length, Transfer-Encoding, Connection) are the server's own and are not taken
// from res.headers, and a control character in a value (a CR that would start a field of a guest's)
// is written as a space.
void write_response_head(std::string& out, const HttpResponse& res, unsigned version,
                         bool keep_alive);

}  // namespace wisp::serve
