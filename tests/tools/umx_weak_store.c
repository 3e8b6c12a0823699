/* SPDX-License-Identifier: MIT */
/*
 * umx_weak_store SOCKET — a deliberately weakened XenStore, built only for
 * tests (tests/hostile/attack_detectors_report_a_weakened_store_vulnerable):
 * it takes any message length, answers every type it does not know with
 * success, reads paths without looking for their NUL, and applies what
 * arrived of a write whose client hung up halfway. The store-client
 * detectors of `umx attack --store` must each say vulnerable. A tiny
 * flat map of nodes; one client at a time; runs until killed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/xs_wire.h>

#define NODES 64

static struct {
	char path[256], val[256];
} nodes[NODES];

static char *lookup(const char *path)
{
	for (int i = 0; i < NODES; i++)
		if (nodes[i].path[0] && !strcmp(nodes[i].path, path))
			return nodes[i].val;
	return NULL;
}

static void store(const char *path, const char *val, size_t vlen)
{
	char *v = lookup(path);
	for (int i = 0; !v && i < NODES; i++)
		if (!nodes[i].path[0]) {
			size_t n = strnlen(path, sizeof(nodes[i].path) - 1);
			memcpy(nodes[i].path, path, n);
			nodes[i].path[n] = 0;
			v = nodes[i].val;
		}
	if (v) {
		size_t n = vlen < sizeof(nodes[0].val) - 1 ? vlen : sizeof(nodes[0].val) - 1;
		memcpy(v, val, n);
		v[n] = 0;
	}
}

static void reply(int fd, const struct xsd_sockmsg *q, uint32_t type, const char *body)
{
	struct xsd_sockmsg h = *q;
	h.type = type;
	h.len = (uint32_t)strlen(body) + 1;
	if (write(fd, &h, sizeof(h)) != sizeof(h) || write(fd, body, h.len) != (ssize_t)h.len)
		return;
}

/* A write's payload "path\0value": applied whatever its length. */
static void apply_write(const char *p, size_t len)
{
	size_t plen = strnlen(p, len);
	if (plen < len)
		store(p, p + plen + 1, len - plen - 1);
}

static void serve(int fd)
{
	static char body[1 << 16];

	for (;;) {
		struct xsd_sockmsg h;
		size_t got = 0;
		ssize_t n;

		if (read(fd, &h, sizeof(h)) != sizeof(h))
			return;
		size_t want =
		        h.len < sizeof(body) - 1 ? h.len : sizeof(body) - 1; /* no limit check */
		while (got < want && (n = read(fd, body + got, want - got)) > 0)
			got += (size_t)n;
		body[got] = 0;
		if (got < want) {
			if (h.type == XS_WRITE)
				apply_write(body, got); /* half a write, applied */
			return;
		}
		if (h.type == XS_WRITE) {
			apply_write(body, got);
			reply(fd, &h, XS_WRITE, "OK");
		} else if (h.type == XS_READ) {
			char *v = lookup(body); /* the path's NUL: never checked */
			if (v)
				reply(fd, &h, XS_READ, v);
			else if (!strcmp(body, "/"))
				reply(fd, &h, XS_READ, "");
			else
				reply(fd, &h, XS_ERROR, "ENOENT");
		} else {
			reply(fd, &h, h.type, "OK"); /* whatever it was */
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	strcpy(a.sun_path, argv[1]);
	unlink(argv[1]);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0) {
		perror("weak store");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			return 1;
		serve(c);
		close(c);
	}
}
