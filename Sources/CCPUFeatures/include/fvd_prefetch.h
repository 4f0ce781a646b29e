#ifndef FVD_PREFETCH_H
#define FVD_PREFETCH_H

/* A software prefetch hint, which Swift has no spelling for. `static inline` so the Swift
 * compiler inlines it into the GEMM loop as one `prefetcht0`: it changes no value, only when a
 * cache line arrives. */
static inline void fvd_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
