// Parsing a CGI program's response header section (see cgi_response.hpp).
#include "serve/cgi_response.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace wisp::serve {

namespace {

constexpr size_t kMaxHeaderBytes = 8 << 10;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

}  // namespace

bool apply_cgi_response(std::string output, HttpResponse& r, std::string& error) {
  // The header section ends at the first empty line (LF or CRLF line ends).
  size_t pos = 0, end = std::string::npos;
  while (pos < output.size() && pos <= kMaxHeaderBytes) {
    size_t nl = output.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string_view line(output.data() + pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      end = nl + 1;
      break;
    }
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon == std::string_view::npos ? 0 : colon);
    if (name.empty() || !std::all_of(name.begin(), name.end(), token_char)) {
      error = "the program's output does not start with CGI header lines (\"Name: value\")";
      return false;
    }
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Type")) {
      r.content_type = std::string(value);
    } else if (iequals(name, "Status")) {
      unsigned code = 0;
      size_t digits = 0;
      while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits])))
        code = code * 10 + unsigned(value[digits++] - '0');
      if (digits != 3 || code < 200 || code > 599 ||
          (digits < value.size() && value[digits] != ' ')) {
        error = "the program's Status \"" + std::string(value) + "\" is not a status 200-599";
        return false;
      }
      r.status = code;
    }
    pos = nl + 1;
  }
  if (end == std::string::npos) {
    error = "the program's output has no empty line ending its CGI headers within " +
            std::to_string(kMaxHeaderBytes) + " bytes";
    return false;
  }
  output.erase(0, end);
  r.body = std::move(output);
  return true;
}

}  // namespace wisp::serve
