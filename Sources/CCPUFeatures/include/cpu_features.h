#ifndef FVD_CPU_FEATURES_H
#define FVD_CPU_FEATURES_H

/* What the CPU can run, asked of the CPU itself (cpuid via the compiler's builtins), so the
 * check needs no /proc (which a hardened service may not see). Compiled without -mavx2. */
int fvd_cpu_has_avx2(void);
int fvd_cpu_has_fma(void);

/* How many CPUs the calling thread may run on (its affinity mask: taskset, a container's
 * cpuset, systemd's CPUAffinity=), or 0 where that cannot be asked. */
int fvd_allowed_cpus(void);

/* Names the calling thread (at most 15 bytes show), for top -H and /proc/PID/task/N/comm:
 * glibc declares pthread_setname_np only under _GNU_SOURCE, which Swift's Glibc module lacks. */
void fvd_name_this_thread(const char *name);

#endif
