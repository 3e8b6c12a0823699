/* SPDX-License-Identifier: MIT */
/* Toolstack peers must share umxd's namespaces (peer.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "peer.h"

static const char *const kinds[] = {"user", "pid", "mnt"};

int umxd_peer_check(pid_t pid, uid_t uid, const char **why)
{
	char path[64];

	if (pid <= 0) {
		*why = "its pid is not visible from umxd's pid namespace";
		return -EPERM;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct stat mine, theirs;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		if (stat(path, &mine) < 0) {
			*why = "umxd cannot read its own namespaces";
			return -EPERM;
		}
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kinds[i]);
		if (stat(path, &theirs) < 0) {
			/* Only root's links are closed to an unprivileged umxd, and a
			 * uid 0 seen from here is root in our own user namespace. */
			if (errno == EACCES && uid == 0)
				continue;
			*why = "its namespaces cannot be read (it exited?)";
			return -EPERM;
		}
		if (mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino) {
			*why = i == 0   ? "it lives in another user namespace (a domain's sandbox?)"
			       : i == 1 ? "it lives in another pid namespace (a domain's sandbox?)"
			                : "it lives in another mount namespace (a domain's "
			                  "sandbox?)";
			return -EPERM;
		}
	}
	return 0;
}
