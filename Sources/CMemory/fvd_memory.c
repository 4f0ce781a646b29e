#include "fvd_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
int fvd_release_free_memory(void) { return malloc_trim(0); }
void fvd_limit_allocator_arenas(int arenas) { mallopt(M_ARENA_MAX, arenas); }
#else
int fvd_release_free_memory(void) { return 0; }
void fvd_limit_allocator_arenas(int arenas) { (void)arenas; }
#endif
