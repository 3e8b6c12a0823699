/* SPDX-License-Identifier: MIT */
/* One number from a small text file of the kernel's (proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/internal/proc.h"

int umx_proc_read_num(const char *path, const char *key, long *val)
{
	char buf[4096], *p = buf, *end;
	ssize_t n;
	long v;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	if (key) {
		size_t klen = strlen(key);

		/* Only at the start of a line, never inside one. */
		for (p = buf; strncmp(p, key, klen) != 0; p++) {
			p = strchr(p, '\n');
			if (!p)
				return -ENOENT;
		}
		p += klen;
	}
	errno = 0;
	v = strtol(p, &end, 10);
	if (end == p || errno)
		return -EINVAL;
	*val = v;
	return 0;
}
