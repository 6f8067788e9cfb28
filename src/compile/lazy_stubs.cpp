// Machine-code stubs of lazy tier 0 (lazy_stubs.hpp). Layout of one mapping: the resolver, a thunk
// per function, a stub per function (all read + execute once written), then the table (read +
// write), within ±2 GiB of the stubs' rip-relative jumps by construction.
#include "compile/lazy_stubs.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

size_t round_up(size_t n, size_t to) {
  return (n + to - 1) / to * to;
}

class Writer {
 public:
  explicit Writer(uint8_t* at) : p_(at) {}
  void bytes(std::initializer_list<uint8_t> b) {
    for (uint8_t x : b) *p_++ = x;
  }
  void u32(uint32_t v) {
    std::memcpy(p_, &v, 4);
    p_ += 4;
  }
  void u64(uint64_t v) {
    std::memcpy(p_, &v, 8);
    p_ += 8;
  }
  // A rel32 to `target`, relative to the end of these 4 bytes.
  void rel32(const uint8_t* target) {
    int64_t d = target - (p_ + 4);
    u32(static_cast<uint32_t>(static_cast<int32_t>(d)));
  }
  uint8_t* at() const { return p_; }

 private:
  uint8_t* p_;
};

// The resolver: entered by a thunk with the function index in r11d, the caller's arguments in
// rdi, rsi, rdx, rcx, r8, r9, xmm0-7 (and on the stack, untouched), rsp = 8 mod 16.
void write_resolver(Writer& w, void* ctx, LazyStubs::Resolve resolve) {
  w.bytes({0x55});                                            // push %rbp
  w.bytes({0x48, 0x89, 0xe5});                                // mov %rsp, %rbp
  w.bytes({0x57, 0x56, 0x52, 0x51, 0x41, 0x50, 0x41, 0x51});  // push rdi rsi rdx rcx r8 r9
  w.bytes({0x48, 0x81, 0xec, 0x80, 0x00, 0x00, 0x00});        // sub $0x80, %rsp (now 16-aligned)
  for (uint8_t n = 0; n < 8; ++n)                             // movdqu %xmmN, 16N(%rsp)
    w.bytes(
        {0xf3, 0x0f, 0x7f, static_cast<uint8_t>(0x44 + 8 * n), 0x24, static_cast<uint8_t>(16 * n)});
  w.bytes({0x48, 0xbf});  // movabs $ctx, %rdi
  w.u64(reinterpret_cast<uint64_t>(ctx));
  w.bytes({0x44, 0x89, 0xde});  // mov %r11d, %esi
  w.bytes({0x48, 0xb8});        // movabs $resolve, %rax
  w.u64(reinterpret_cast<uint64_t>(resolve));
  w.bytes({0xff, 0xd0});           // call *%rax
  for (uint8_t n = 0; n < 8; ++n)  // movdqu 16N(%rsp), %xmmN
    w.bytes(
        {0xf3, 0x0f, 0x6f, static_cast<uint8_t>(0x44 + 8 * n), 0x24, static_cast<uint8_t>(16 * n)});
  w.bytes({0x48, 0x81, 0xc4, 0x80, 0x00, 0x00, 0x00});        // add $0x80, %rsp
  w.bytes({0x41, 0x59, 0x41, 0x58, 0x59, 0x5a, 0x5e, 0x5f});  // pop r9 r8 rcx rdx rsi rdi
  w.bytes({0x5d});                                            // pop %rbp
  w.bytes({0xff, 0xe0});                                      // jmp *%rax
}

}  // namespace

bool LazyStubs::supported() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

LazyStubs::LazyStubs(size_t n, uint32_t first_index, void* ctx, Resolve resolve) {
  if (!supported()) throw Error("lazy tier 0 needs x86-64");
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  thunks_at_ = 256;  // after the resolver (158 bytes)
  stubs_at_ = thunks_at_ + n * kThunkSize;
  code_size_ = round_up(stubs_at_ + n * kStubSize, page);
  table_size_ = round_up(std::max<size_t>(n, 1) * sizeof(void*), page);
  void* p = ::mmap(nullptr, code_size_ + table_size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Error(std::string("lazy tier 0: cannot map its stubs: ") + std::strerror(errno));
  code_ = static_cast<uint8_t*>(p);
  table_ = reinterpret_cast<void**>(code_ + code_size_);
  std::memset(code_, 0xcc, code_size_);  // int3 between the pieces
  Writer r(code_);
  write_resolver(r, ctx, resolve);
  if (r.at() > code_ + thunks_at_) throw Error("internal: lazy tier 0's resolver overflows");
  for (size_t k = 0; k < n; ++k) {
    uint8_t* thunk = code_ + thunks_at_ + k * kThunkSize;
    Writer t(thunk);
    t.bytes({0x41, 0xbb});  // mov $index, %r11d
    t.u32(first_index + static_cast<uint32_t>(k));
    t.bytes({0xe9});  // jmp resolver
    t.rel32(code_);
    table_[k] = thunk;
    Writer s(code_ + stubs_at_ + k * kStubSize);
    s.bytes({0xff, 0x25});  // jmp *table[k](%rip)
    s.rel32(reinterpret_cast<const uint8_t*>(&table_[k]));
  }
  if (::mprotect(code_, code_size_, PROT_READ | PROT_EXEC) != 0) {
    int e = errno;
    ::munmap(code_, code_size_ + table_size_);
    throw Error(std::string("lazy tier 0: cannot make its stubs executable: ") + std::strerror(e));
  }
}

LazyStubs::~LazyStubs() {
  if (code_) ::munmap(code_, code_size_ + table_size_);
}

void LazyStubs::set(size_t k, void* code) {
  __atomic_store_n(&table_[k], code, __ATOMIC_RELEASE);
}

}  // namespace wisp::detail
