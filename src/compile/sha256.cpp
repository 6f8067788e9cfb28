// SHA-256 via OpenSSL: cache keys must never collide (a module must not get another's code).
#include <openssl/evp.h>

#include <cstdio>

#include "compile/native_code.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {
std::string to_hex(const unsigned char* digest, unsigned len) {
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}
}  // namespace

std::string sha256_bytes_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 failed");
  return to_hex(digest, len);
}

std::string sha256_hex(const std::vector<std::string_view>& parts) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw Error("SHA-256: out of memory");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  for (auto p : parts) {
    // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
    uint64_t n = p.size();
    ok = ok && EVP_DigestUpdate(ctx, &n, sizeof n) == 1 &&
         EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw Error("SHA-256 failed");
  return to_hex(digest, len);
}

}  // namespace wisp::detail
