// A small bytecode interpreter written three ways: handlers that tail-call the next opcode's
// handler (`musttail`: return_call_indirect in wasm, -mtail-call); a loop that calls the same
// handlers through the same kind of table (call_indirect) and returns to the loop; a loop over a
// switch. All run the same program and return the same value; bench_tail_call.cpp compares them.
#include <stdint.h>

#define PROGRAM_SIZE 4096u

static uint8_t program[PROGRAM_SIZE];

// Fills the program with pseudo-random opcodes (0..3).
void interp_init(void) {
  uint32_t x = 12345;
  for (uint32_t i = 0; i < PROGRAM_SIZE; ++i) {
    x = x * 1103515245u + 12345u;
    program[i] = (uint8_t)(x >> 16);
  }
}

typedef uint32_t (*handler)(uint32_t pc, uint32_t acc, uint32_t steps);
static uint32_t op_add(uint32_t pc, uint32_t acc, uint32_t steps);
static uint32_t op_xor(uint32_t pc, uint32_t acc, uint32_t steps);
static uint32_t op_mul(uint32_t pc, uint32_t acc, uint32_t steps);
static uint32_t op_rot(uint32_t pc, uint32_t acc, uint32_t steps);
static uint32_t dispatch(uint32_t pc, uint32_t acc, uint32_t steps);
static handler const handlers[4] = {op_add, op_xor, op_mul, op_rot};

#define NEXT(pc, acc, steps) __attribute__((musttail)) return dispatch(pc, acc, steps)

static uint32_t dispatch(uint32_t pc, uint32_t acc, uint32_t steps) {
  if (steps == 0) return acc;
  __attribute__((musttail)) return handlers[program[pc % PROGRAM_SIZE] & 3](pc, acc, steps - 1);
}
static uint32_t op_add(uint32_t pc, uint32_t acc, uint32_t steps) {
  acc += program[(pc + 1) % PROGRAM_SIZE];
  NEXT(pc + 1, acc, steps);
}
static uint32_t op_xor(uint32_t pc, uint32_t acc, uint32_t steps) {
  acc ^= pc * 2654435761u;
  NEXT(pc + 1, acc, steps);
}
static uint32_t op_mul(uint32_t pc, uint32_t acc, uint32_t steps) {
  acc = acc * 33u + 7u;
  NEXT(pc + 1, acc, steps);
}
static uint32_t op_rot(uint32_t pc, uint32_t acc, uint32_t steps) {
  acc = (acc << 5) | (acc >> 27);
  NEXT(pc + 1, acc, steps);
}

uint32_t interp_tail(uint32_t steps) {
  return dispatch(0, 1, steps);
}

// The loop form of the same handlers: each returns the accumulator to the loop.
typedef uint32_t (*step_handler)(uint32_t pc, uint32_t acc);
static uint32_t step_add(uint32_t pc, uint32_t acc) {
  return acc + program[(pc + 1) % PROGRAM_SIZE];
}
static uint32_t step_xor(uint32_t pc, uint32_t acc) {
  return acc ^ (pc * 2654435761u);
}
static uint32_t step_mul(uint32_t pc, uint32_t acc) {
  (void)pc;
  return acc * 33u + 7u;
}
static uint32_t step_rot(uint32_t pc, uint32_t acc) {
  (void)pc;
  return (acc << 5) | (acc >> 27);
}
static step_handler volatile const step_handlers[4] = {step_add, step_xor, step_mul, step_rot};

uint32_t interp_call(uint32_t steps) {
  uint32_t pc = 0, acc = 1;
  for (; steps > 0; --steps, ++pc) acc = step_handlers[program[pc % PROGRAM_SIZE] & 3](pc, acc);
  return acc;
}

uint32_t interp_switch(uint32_t steps) {
  uint32_t pc = 0, acc = 1;
  for (; steps > 0; --steps) {
    switch (program[pc % PROGRAM_SIZE] & 3) {
      case 0:
        acc += program[(pc + 1) % PROGRAM_SIZE];
        break;
      case 1:
        acc ^= pc * 2654435761u;
        break;
      case 2:
        acc = acc * 33u + 7u;
        break;
      default:
        acc = (acc << 5) | (acc >> 27);
        break;
    }
    ++pc;
  }
  return acc;
}
