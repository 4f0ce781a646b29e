#include "fvd_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
int fvd_release_free_memory(void) { return malloc_trim(0); }
#else
int fvd_release_free_memory(void) { return 0; }
#endif
