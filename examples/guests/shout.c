// A WASI command for `wisp serve`'s WASI routes: the request body arrives on stdin and the
// response is what the program writes to stdout. It answers with the body in capitals, preceded
// by the request's method and query string (CGI-style environment variables).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* method = getenv("REQUEST_METHOD");
  const char* query = getenv("QUERY_STRING");
  printf("%s %s\n", method ? method : "-", query && *query ? query : "-");
  int c;
  while ((c = getchar()) != EOF) putchar(toupper(c));
  return 0;
}
