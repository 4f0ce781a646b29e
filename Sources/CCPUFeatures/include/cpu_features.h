#ifndef FVD_CPU_FEATURES_H
#define FVD_CPU_FEATURES_H

/* What the CPU can run, asked of the CPU itself (cpuid via the compiler's builtins), so the
 * check needs no /proc (which a hardened service may not see). Compiled without -mavx2. */
int fvd_cpu_has_avx2(void);
int fvd_cpu_has_fma(void);

#endif
