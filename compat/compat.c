/* SPDX-License-Identifier: MIT */
/* The errno edge of the drop-in libraries (compat.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"

int compat_ret(int r)
{
	if (r >= 0)
		return r;
	errno = -r;
	return -1;
}

#define WARNED_MAX 32

int compat_unsupported(const char *what, const char *why)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const char *warned[WARNED_MAX];
	static unsigned nwarned;
	int seen = 0;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < nwarned; i++)
		if (warned[i] == what || !strcmp(warned[i], what))
			seen = 1;
	if (!seen && nwarned < WARNED_MAX)
		warned[nwarned++] = what;
	pthread_mutex_unlock(&lock);
	if (!seen)
		fprintf(stderr, "umx xen-compat: %s is not supported on umx (%s)\n", what, why);
	return compat_ret(-ENOSYS);
}
