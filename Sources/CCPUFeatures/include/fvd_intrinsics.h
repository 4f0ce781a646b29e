#ifndef FVD_INTRINSICS_H
#define FVD_INTRINSICS_H

/* Instructions the kernels need and Swift cannot spell, or spells badly. Each is `static
 * inline`, so the Swift compiler inlines it where it is used (SIMDKernels, built with AVX2): no
 * call is left. The AVX2 ones carry their target here, so this header also compiles in a
 * target built without -mavx2, like this one's own cpu_features.c. */

#include <immintrin.h>

/* Eight floats; Swift sees this as SIMD8<Float>. */
typedef float fvd_float8 __attribute__((ext_vector_type(8)));

/* A software prefetch hint: moves no value, only when a cache line arrives. */
static inline void fvd_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

/* A spin-wait hint (x86 `pause`): a polling loop yields the core's pipelines to the other
 * hardware thread and does not flood the memory system with loads of a line that has not
 * changed. */
static inline void fvd_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

/* Bit b set when lane b of v is > 0: one compare and one vmovmskps. Swift has no movemask,
 * and every way of writing this in Swift's SIMD types compiled to 25 to 30 instructions of
 * lane shuffles, per stored value of every forward conv. */
static inline __attribute__((target("avx2"))) unsigned char fvd_positive_bits(fvd_float8 v) {
    return (unsigned char)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_setzero_ps(), (__m256)v, _CMP_LT_OQ));
}

/* v where bit b of `bits` is set, +0 in the other lanes: broadcast, and, compare, and. The
 * shift-based Swift version was turned by LLVM into per-lane bit tests assembled through
 * general registers. */
static inline __attribute__((target("avx2"))) fvd_float8 fvd_keep_lanes(fvd_float8 v, unsigned char bits) {
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    __m256i keep = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), lanes), lanes);
    return (fvd_float8)_mm256_and_ps((__m256)v, _mm256_castsi256_ps(keep));
}

#endif
