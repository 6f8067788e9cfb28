// The threads strategy's example guest: N instances over one shared memory (it imports the
// memory: -Wl,--shared-memory,--import-memory) serve calls at once, synchronised by atomics.
//   counter_add(n)       atomic fetch-and-add on one counter; returns the new value
//   counter_get()        the counter
//   kv_add(key, delta)   adds to slot key % 256 of a table under a lock; returns the new value
//   kv_get(key)          reads the slot under the lock
//   kv_locked_ops()      how many kv_add calls ran (counted non-atomically, inside the lock)
//   work(n)              n rounds of pure arithmetic: no memory, embarrassingly parallel
//   stack_work(seed)     fills a 4 KiB array on the C stack from `seed` and sums it back
//   tls_bump()           adds 1 to a thread-local counter (starts at 100); returns it
//   tls_address()        where this instance's thread-local counter lives
// The lock is a futex-style mutex (0 free, 1 held, 2 held with waiters): waiters sleep in
// memory.atomic.wait32 and the holder wakes one with memory.atomic.notify. The module exports
// its __stack_pointer (-Wl,--export=__stack_pointer), so that the threads strategy gives each
// instance a C stack of its own: stack_work run at once in two instances sharing one stack would
// overwrite each other's array. Its thread-local storage (-ftls-model=local-exec, and
// -Wl,--export= of __wasm_init_tls, __tls_size, __tls_align) is per instance the same way.
// Built freestanding (wasm32, no libc).
#include <stdint.h>

static uint32_t counter;
static int32_t lock_word;
static int64_t table[256];
static uint64_t locked_ops;
static _Thread_local uint32_t tls_counter = 100;

static void lock(void) {
  int32_t c = 0;
  if (__atomic_compare_exchange_n(&lock_word, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  for (int spin = 0; spin < 100; ++spin) {
    c = 0;
    if (__atomic_compare_exchange_n(&lock_word, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      return;
  }
  // Contended: mark the lock 2 and sleep until a release wakes us.
  while (__atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE) != 0)
    __builtin_wasm_memory_atomic_wait32(&lock_word, 2, -1);
}

static void unlock(void) {
  if (__atomic_exchange_n(&lock_word, 0, __ATOMIC_RELEASE) == 2)
    __builtin_wasm_memory_atomic_notify(&lock_word, 1);
}

uint32_t counter_add(uint32_t n) {
  return __atomic_add_fetch(&counter, n, __ATOMIC_SEQ_CST);
}

uint32_t counter_get(void) {
  return __atomic_load_n(&counter, __ATOMIC_SEQ_CST);
}

int64_t kv_add(uint32_t key, int64_t delta) {
  lock();
  int64_t v = table[key % 256] + delta;  // a plain read-modify-write: the lock makes it safe
  table[key % 256] = v;
  ++locked_ops;
  unlock();
  return v;
}

int64_t kv_get(uint32_t key) {
  lock();
  int64_t v = table[key % 256];
  unlock();
  return v;
}

uint64_t kv_locked_ops(void) {
  lock();
  uint64_t n = locked_ops;
  unlock();
  return n;
}

uint32_t work(uint32_t n) {
  uint32_t x = 2463534242u;
  for (uint32_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  return x;
}

uint32_t stack_work(uint32_t seed) {
  volatile uint32_t buf[1024];  // volatile: kept on the C stack, written and read back
  for (uint32_t i = 0; i < 1024; ++i) buf[i] = seed * 2654435761u + i;
  uint32_t sum = 0;
  for (int round = 0; round < 4; ++round)
    for (uint32_t i = 0; i < 1024; ++i) sum += buf[i] ^ i;
  return sum;
}

uint32_t tls_bump(void) {
  return ++tls_counter;
}

uint32_t tls_address(void) {
  return (uint32_t)(uintptr_t)&tls_counter;
}
