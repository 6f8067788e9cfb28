// SHA-256 via OpenSSL: cache keys must never collide (a module must not get another's code).
// The low-level SHA256_Init/Update/Final functions, not EVP: EVP's first use initialises OpenSSL
// (reads its configuration file, builds the provider and algorithm tables), which cost more than
// the whole rest of a warm `wisp run`. The digest code itself is the same.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init & co. are deprecated in 3.0, not removed
#include <openssl/sha.h>

#include "compile/native_code.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {
std::string to_hex(const unsigned char* digest, unsigned len) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(2 * len, '0');
  for (unsigned i = 0; i < len; ++i) {
    hex[2 * i] = kDigits[digest[i] >> 4];
    hex[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return hex;
}
}  // namespace

// (Not OpenSSL 3's one-shot SHA256(): it goes through EVP.)
std::string sha256_bytes_hex(std::string_view bytes) {
  SHA256_CTX ctx;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, bytes.data(), bytes.size()) != 1 ||
      SHA256_Final(digest, &ctx) != 1)
    throw Error("SHA-256 failed");
  return to_hex(digest, SHA256_DIGEST_LENGTH);
}

std::string sha256_hex(const std::vector<std::string_view>& parts) {
  SHA256_CTX ctx;
  bool ok = SHA256_Init(&ctx) == 1;
  for (auto p : parts) {
    // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
    uint64_t n = p.size();
    ok = ok && SHA256_Update(&ctx, &n, sizeof n) == 1 &&
         SHA256_Update(&ctx, p.data(), p.size()) == 1;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  ok = ok && SHA256_Final(digest, &ctx) == 1;
  if (!ok) throw Error("SHA-256 failed");
  return to_hex(digest, SHA256_DIGEST_LENGTH);
}

}  // namespace wisp::detail
