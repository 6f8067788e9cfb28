// State guest: a 4 MiB initialised table (a real data segment); state_touch writes one page.
#include "guest.h"

#include "state_table.inc"  // static uint32_t state_table[STATE_TABLE_WORDS] = {...};

#define PAGE_WORDS (65536 / 4)

// Adds 1 to the first word of page `page` (mod the table's 64 pages); returns the new value.
int32_t GUEST_EXPORT(state_touch)(int32_t page) {
  uint32_t i = ((uint32_t)page % (STATE_TABLE_WORDS / PAGE_WORDS)) * PAGE_WORDS;
  return (int32_t)++state_table[i];
}

// Reads word `i` of the table (wrapped to its size).
int32_t GUEST_EXPORT(state_get)(int32_t i) {
  return (int32_t)state_table[(uint32_t)i % STATE_TABLE_WORDS];
}
