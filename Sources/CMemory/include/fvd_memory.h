#ifndef FVD_MEMORY_H
#define FVD_MEMORY_H

/* Returns memory the allocator holds but no longer uses to the system (glibc's malloc_trim,
 * which Swift's Glibc module does not export). Returns 1 if memory was released. */
int fvd_release_free_memory(void);

/* Caps glibc's malloc arenas (mallopt M_ARENA_MAX). Each connection thread would otherwise get
 * an arena of its own that keeps freed memory after the connection is gone. */
void fvd_limit_allocator_arenas(int arenas);

/* Serves every block of at least `bytes` by its own mmap (mallopt M_MMAP_THRESHOLD), given back
 * to the system on free. Without a fixed threshold glibc raises it after each large free (up to
 * 32 MiB), and job workspaces then land in the heap, where they stay after the job. */
void fvd_map_large_blocks(int bytes);

#endif
