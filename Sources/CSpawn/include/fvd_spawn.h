#ifndef FVD_SPAWN_H
#define FVD_SPAWN_H

#include <spawn.h>

/* glibc's posix_spawn file actions that Swift's Glibc module does not export (they are _np,
 * declared only under _GNU_SOURCE; fvd_spawn.c defines it). */

/* Closes every descriptor from `from` up in the child (glibc 2.34+): what a program started
 * for someone else inherits is only what it is given. A daemon that inherits a caller's pipe
 * or socket keeps it open for its whole life, and the caller waits on it forever. */
int fvd_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

/* Starts the child in `directory` (glibc 2.29+). */
int fvd_spawn_chdir(posix_spawn_file_actions_t *actions, const char *directory);

#endif
