/* SPDX-License-Identifier: MIT */
/*
 * umx xs read|write|ls|rm|mkdir|watch|perms|chmod — a XenStore client with
 * the habits of Xen's xenstore-* tools, speaking xs_wire to umxd's store
 * socket as the toolstack.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "umx.h"
#include "umx/domain.h"
#include "umx/xs.h"

struct xs_reply {
	uint32_t type;
	uint32_t len;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

static int xs_open(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct umx_daemon_info info;
	umx_conn *ts;
	umx_xs *xs;
	int fd, r;

	/* Inside a domain: the domain's own store connection (relative paths
	 * are under its /local/domain/<domid>), as xenstore-* in a guest. */
	if (getenv(UMX_DOMAIN_FD_ENV)) {
		if ((r = umx_xs_open(&xs)) < 0) {
			fprintf(stderr, "umx xs: cannot reach the store from this domain: %s\n",
			        strerror(-r));
			return -1;
		}
		/* The connection lives until we exit; we speak xs_wire on it. */
		return umx_xs_fd(xs);
	}
	if (tool_connect(&ts) < 0)
		return -1;
	r = umx_daemon_info(ts, &info);
	umx_conn_close(ts);
	if (r < 0 || strlen(info.xs_socket) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "umx xs: cannot find the store socket\n");
		return -1;
	}
	memcpy(sa.sun_path, info.xs_socket, strlen(info.xs_socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("umx xs: connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int xs_recv(int fd, struct xs_reply *rep)
{
	struct xsd_sockmsg h;
	if (read_full(fd, &h, sizeof(h)) < 0 || h.len > XENSTORE_PAYLOAD_MAX ||
	    read_full(fd, rep->body, h.len) < 0) {
		fprintf(stderr, "umx xs: the store closed the connection\n");
		return -1;
	}
	rep->type = h.type;
	rep->len = h.len;
	rep->body[h.len] = 0;
	return 0;
}

/* Send @type with @n NUL-separated-or-not pieces; returns 0 on a non-error
 * reply, 1 on an XS_ERROR (printed with @what), -1 on transport failure. */
static int xs_req(int fd, uint32_t type, const char *what, struct xs_reply *rep, const void *a,
                  size_t alen, const void *b, size_t blen)
{
	struct xsd_sockmsg h = {.type = type, .len = (uint32_t)(alen + blen)};
	char buf[XENSTORE_PAYLOAD_MAX];

	if (alen + blen > sizeof(buf)) {
		fprintf(stderr,
		        "umx xs: %s: %zu bytes of path and value; the store takes at most %zu\n",
		        tool_show(what), alen + blen, sizeof(buf));
		return -1;
	}
	memcpy(buf, a, alen);
	if (blen)
		memcpy(buf + alen, b, blen);
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    write(fd, buf, h.len) != (ssize_t)h.len)
		return -1;
	do {
		if (xs_recv(fd, rep) < 0)
			return -1;
	} while (rep->type == XS_WATCH_EVENT && type != XS_WATCH_EVENT);
	if (rep->type == XS_ERROR) {
		fprintf(stderr, "umx xs: %s: %s\n", tool_show(what), tool_show(rep->body));
		return 1;
	}
	return 0;
}

static int xs_req_path(int fd, uint32_t type, const char *path, struct xs_reply *rep)
{
	return xs_req(fd, type, path, rep, path, strlen(path) + 1, NULL, 0);
}

static void print_perms(const char *body, uint32_t len)
{
	for (uint32_t i = 0; i < len;) {
		const char *p = body + i;
		printf("%s%s", i ? "," : "", p);
		i += (uint32_t)strlen(p) + 1;
	}
}

/* Iterative walk (no recursion proportional to depth), like xenstore-ls. */
static int ls_tree(int fd, const char *root, int perms)
{
	struct stack {
		char path[XENSTORE_ABS_PATH_MAX + 1];
		int depth;
	} *st = malloc(sizeof(*st) * 4096);
	static struct xs_reply rep, val;
	int top = 0, ret = 0;

	if (!st)
		return 1;
	snprintf(st[top].path, sizeof(st[top].path), "%s", root);
	st[top++].depth = -1;
	while (top > 0) {
		struct stack cur = st[--top];
		char names[XENSTORE_PAYLOAD_MAX + 1];
		uint32_t nlen;
		const char *name;
		int n, r;

		r = xs_req_path(fd, XS_DIRECTORY, cur.path, &rep);
		if (r) {
			ret = 1;
			if (r < 0)
				break;
			continue;
		}
		nlen = rep.len;
		memcpy(names, rep.body, nlen);
		/* Push children in reverse so they print in order. */
		n = 0;
		for (uint32_t i = 0; i < nlen; i += (uint32_t)strlen(names + i) + 1)
			n++;
		if (top + n > 4096) {
			fprintf(stderr, "umx xs ls: tree too wide\n");
			ret = 1;
			break;
		}
		for (uint32_t i = 0, k = 0; i < nlen; i += (uint32_t)strlen(names + i) + 1, k++) {
			struct stack *s = &st[top + n - 1 - k];
			name = names + i;
			snprintf(s->path, sizeof(s->path), "%s%s%s", cur.path,
			         strcmp(cur.path, "/") ? "/" : "", name);
			s->depth = cur.depth + 1;
		}
		top += n;
		if (cur.depth < 0)
			continue;
		name = strrchr(cur.path, '/');
		name = name ? name + 1 : cur.path;
		if (xs_req_path(fd, XS_READ, cur.path, &val) < 0) {
			ret = 1;
			break;
		}
		printf("%*s%s = \"%s\"", cur.depth, "", name, val.type == XS_ERROR ? "" : val.body);
		if (perms && xs_req_path(fd, XS_GET_PERMS, cur.path, &val) == 0) {
			printf("  (");
			print_perms(val.body, val.len);
			printf(")");
		}
		printf("\n");
	}
	free(st);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: umx xs read PATH...\n"
	        "       umx xs write PATH VALUE [PATH VALUE]...\n"
	        "       umx xs ls [-p] [PATH]     (tree, like xenstore-ls)\n"
	        "       umx xs rm PATH...\n"
	        "       umx xs mkdir PATH...\n"
	        "       umx xs watch PATH        (print events until interrupted)\n"
	        "       umx xs perms PATH        (like getperms: n0,r1)\n"
	        "       umx xs chmod PATH PERM...  (PERM: [nrwb]DOMID; first = owner)\n"
	        "As the toolstack, or inside a domain as that domain (relative paths\n"
	        "are under its /local/domain/<domid>). Paths and values up to %u bytes.\n",
	        XENSTORE_PAYLOAD_MAX);
}

/* [nrwb]DOMID, as xenstore-chmod takes it. */
static bool perm_ok(const char *p)
{
	char *end;
	unsigned long d;
	if (!strchr("nrwb", p[0]) || !p[0] || p[1] < '0' || p[1] > '9')
		return false;
	d = strtoul(p + 1, &end, 10);
	return !*end && d <= 0x7fef;
}

int cmd_xs(int argc, char **argv)
{
	static struct xs_reply rep;
	const char *op;
	int fd, ret = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	op = argv[1];
	if ((!strcmp(op, "write") && (argc < 4 || argc % 2)) ||
	    ((!strcmp(op, "watch") || !strcmp(op, "perms")) && argc != 3) ||
	    (!strcmp(op, "chmod") && argc < 4) ||
	    ((!strcmp(op, "read") || !strcmp(op, "rm") || !strcmp(op, "mkdir")) && argc < 3)) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(op, "chmod"))
		for (int i = 3; i < argc; i++)
			if (!perm_ok(argv[i])) {
				fprintf(stderr,
				        "umx xs chmod: permission '%s' is not [nrwb]DOMID (n none, "
				        "r read, "
				        "w write, b both; the first names the owner)\n",
				        tool_show(argv[i]));
				return 2;
			}
	fd = xs_open();
	if (fd < 0)
		return 1;
	if (!strcmp(op, "read")) {
		for (int i = 2; i < argc && ret >= 0; i++) {
			int r = xs_req_path(fd, XS_READ, argv[i], &rep);
			if (r == 0)
				printf("%s\n", rep.body);
			ret = r ? r : ret;
		}
	} else if (!strcmp(op, "write")) {
		for (int i = 2; i + 1 < argc && ret == 0; i += 2)
			ret = xs_req(fd, XS_WRITE, argv[i], &rep, argv[i], strlen(argv[i]) + 1,
			             argv[i + 1], strlen(argv[i + 1]));
	} else if (!strcmp(op, "rm") || !strcmp(op, "mkdir")) {
		for (int i = 2; i < argc && ret == 0; i++)
			ret = xs_req_path(fd, op[0] == 'r' ? XS_RM : XS_MKDIR, argv[i], &rep);
	} else if (!strcmp(op, "ls")) {
		int perms = argc > 2 && !strcmp(argv[2], "-p");
		ret = ls_tree(fd, argc > 2 + perms ? argv[2 + perms] : "/", perms);
	} else if (!strcmp(op, "perms")) {
		ret = xs_req_path(fd, XS_GET_PERMS, argv[2], &rep);
		if (ret == 0) {
			print_perms(rep.body, rep.len);
			printf("\n");
		}
	} else if (!strcmp(op, "chmod")) {
		char buf[XENSTORE_PAYLOAD_MAX];
		size_t len = 0;
		for (int i = 3; i < argc; i++) {
			size_t l = strlen(argv[i]) + 1;
			if (len + l > sizeof(buf)) {
				fprintf(stderr, "umx xs chmod: too many permissions\n");
				close(fd);
				return 2;
			}
			memcpy(buf + len, argv[i], l);
			len += l;
		}
		ret = xs_req(fd, XS_SET_PERMS, argv[2], &rep, argv[2], strlen(argv[2]) + 1, buf,
		             len);
	} else if (!strcmp(op, "watch")) {
		ret = xs_req(fd, XS_WATCH, argv[2], &rep, argv[2], strlen(argv[2]) + 1, "umx", 4);
		while (ret == 0) {
			if (xs_recv(fd, &rep) < 0) {
				ret = -1;
				break;
			}
			/* Until whoever reads the events has gone. */
			if (rep.type == XS_WATCH_EVENT &&
			    (printf("%s\n", rep.body) < 0 || fflush(stdout) == EOF))
				break;
		}
	} else {
		fprintf(stderr, "umx xs: unknown operation '%s'\n", tool_show(op));
		usage(stderr);
		ret = 2;
	}
	close(fd);
	return ret == 0 ? 0 : (ret == 2 ? 2 : 1);
}
