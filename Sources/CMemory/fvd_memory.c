#include "fvd_memory.h"
// Any libc header first: __GLIBC__ is defined by glibc's own headers, so testing it before one
// is included always fails (and these functions silently did nothing).
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
int fvd_release_free_memory(void) { return malloc_trim(0); }
void fvd_limit_allocator_arenas(int arenas) { mallopt(M_ARENA_MAX, arenas); }
void fvd_map_large_blocks(int bytes) { mallopt(M_MMAP_THRESHOLD, bytes); }
#else
int fvd_release_free_memory(void) { return 0; }
void fvd_limit_allocator_arenas(int arenas) { (void)arenas; }
void fvd_map_large_blocks(int bytes) { (void)bytes; }
#endif
