/* SPDX-License-Identifier: MIT */
/*
 * umx vchan: connect a vchan (Xen libxenvchan protocol) to stdio or to one
 * Unix-socket connection, in either role, from inside a domain.
 *
 * vchan has no half-close, so the tool decides when a direction is done:
 * it exits when the peer closes (after writing out everything received),
 * and, unless -k, closes the vchan when its input ends and the peer has
 * read everything sent. A stream cut short is never a clean end: when the
 * peer dies (or the client a server waits for dies before connecting, or
 * umxd goes away) the tool says so and exits 1, whatever it got before.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "umx.h"
#include "umx/internal/clock.h"
#include "umx/vchan.h"

#define IO_CHUNK (64u * 1024)

static void vchan_usage(FILE *f)
{
	fprintf(f, "usage: umx vchan server PATH CLIENT_DOMID [options]\n"
	           "       umx vchan client PATH SERVER_DOMID [options]\n"
	           "Connect a vchan (Xen's libxenvchan protocol) to stdin/stdout or to a\n"
	           "Unix socket. Run inside a domain (umx run). The server offers the vchan\n"
	           "under PATH in the store (relative paths are under /local/domain/<own\n"
	           "domid>); the client gives the server's full path.\n"
	           "  --stdio            stdin/stdout (the default)\n"
	           "  --unix SOCK        listen on SOCK, bridge the first connection\n"
	           "  -k, --keep-open    input EOF does not close; wait for the peer to\n"
	           "                     close (use on the receiving end of a pipe)\n"
	           "  --ring BYTES       server: minimum size of each ring (default 131072,\n"
	           "                     at most 1048576)\n"
	           "  --wait SECS        client: wait for the server's offer (default 10,\n"
	           "                     -1: forever);\n"
	           "                     server: wait for the client to connect (default:\n"
	           "                     until it connects or its domain dies)\n"
	           "  --stats            print bytes and rate to stderr at exit\n");
}

static int write_full(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno == EAGAIN) {
				struct pollfd pf = {.fd = fd, .events = POLLOUT};
				poll(&pf, 1, -1);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int listen_accept(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int l, c;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "umx vchan: socket path too long\n");
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		int e = -errno;
		fprintf(stderr, "umx vchan: %s: %s\n", path, strerror(errno));
		close(l);
		return e;
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	c = c < 0 ? -errno : c;
	close(l);
	unlink(path);
	return c;
}

struct bridge {
	umx_vchan *v;
	int in_fd, out_fd;
	bool is_socket, keep_open;
	int connect_wait_ms; /* server: > 0 gives up on a client that never comes */
	unsigned long long tx, rx;
	const char *path; /* for messages: what we offer, and to whom */
	uint32_t peer;
};

/* A wait longer than this says what it waits for (shorter ones are the
 * usual start-up race of two domains, not worth a line). */
#define WAIT_SAY_MS 1000

/* Move bytes both ways until a direction rule ends it. 0 or -errno. */
static int bridge_run(struct bridge *b)
{
	static unsigned char ibuf[IO_CHUNK], obuf[IO_CHUNK];
	size_t ilen = 0, ioff = 0;
	bool in_eof = false, peer_eof = false;
	uint64_t t0 = umx_clock_ms();
	bool said = false;
	int r;

	umx_vchan_set_blocking(b->v, false);
	for (;;) {
		if (umx_vchan_is_open(b->v) == 2) {
			uint64_t waited = umx_clock_ms() - t0;

			if (b->connect_wait_ms > 0 && waited > (uint64_t)b->connect_wait_ms)
				return -ETIMEDOUT;
			if (!said && waited > WAIT_SAY_MS) {
				said = true;
				if (b->connect_wait_ms > 0)
					fprintf(stderr,
					        "umx vchan server: waiting up to %d s for domain "
					        "%u "
					        "to connect to %s\n",
					        b->connect_wait_ms / 1000, b->peer,
					        tool_show(b->path));
				else
					fprintf(stderr,
					        "umx vchan server: waiting for domain %u to "
					        "connect to "
					        "%s (until it does or its domain ends)\n",
					        b->peer, tool_show(b->path));
			}
		}
		bool progress = false;

		/* vchan -> output; blocking writes are our backpressure. */
		while (!peer_eof) {
			r = umx_vchan_read(b->v, obuf, sizeof(obuf));
			if (r == -EAGAIN)
				break;
			if (r < 0)
				return r;
			if (r == 0) {
				peer_eof = true;
				break;
			}
			b->rx += (unsigned)r;
			if ((r = write_full(b->out_fd, obuf, (size_t)r)) < 0)
				return r;
			progress = true;
		}
		if (peer_eof) {
			if (b->is_socket)
				shutdown(b->out_fd, SHUT_WR);
			return 0;
		}
		/* input -> vchan */
		if (ioff < ilen) {
			r = umx_vchan_write(b->v, ibuf + ioff, ilen - ioff);
			/* An orderly close by the peer ends our input too (it
			 * will read no more); its death is an error (below). */
			if (r == -EPIPE) {
				ioff = ilen; /* the peer is gone: keep draining */
				in_eof = true;
			} else if (r < 0 && r != -EAGAIN) {
				return r;
			} else if (r > 0) {
				ioff += (size_t)r;
				b->tx += (unsigned)r;
				progress = true;
			}
		}
		if (in_eof && ioff == ilen && !b->keep_open) {
			/* Close once the peer has read all we sent. */
			r = umx_vchan_buffer_space(b->v);
			if (r < 0)
				return r;
			if ((size_t)r == umx_vchan_write_size(b->v))
				return 0;
			if (umx_vchan_is_open(b->v) == 0)
				return umx_vchan_died(b->v) ? -ECONNRESET : 0;
		}
		if (progress)
			continue;

		struct pollfd pf[2] = {
		        {.fd = umx_vchan_fd(b->v), .events = POLLIN},
		        {.fd = (in_eof || ioff < ilen) ? -1 : b->in_fd, .events = POLLIN},
		};
		if (poll(pf, 2, 500) < 0 && errno != EINTR)
			return -errno;
		if (pf[0].revents)
			umx_vchan_wait(b->v, 0);
		if (pf[1].revents) {
			ssize_t n = read(b->in_fd, ibuf, sizeof(ibuf));
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (n == 0)
				in_eof = true;
			if (n > 0) {
				ilen = (size_t)n;
				ioff = 0;
			}
		}
	}
}

static bool opt_value(int argc, char **argv, int *i, const char **val)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "umx vchan: %s needs a value\n", argv[*i]);
		return false;
	}
	*val = argv[++*i];
	return true;
}

int cmd_vchan(int argc, char **argv)
{
	struct bridge b = {.in_fd = 0, .out_fd = 1};
	const char *sock = NULL, *pos[3], *val;
	unsigned long ring = 131072;
	int npos = 0, wait_s = 10, r, rc = 1;
	bool stats = false, wait_given = false, server;
	uint32_t peer;
	double t0, dt;

	/* Options may come before or after the positional arguments. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			vchan_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--stdio")) {
			sock = NULL;
		} else if (!strcmp(a, "--unix")) {
			if (!opt_value(argc, argv, &i, &sock))
				return 2;
		} else if (!strcmp(a, "-k") || !strcmp(a, "--keep-open")) {
			b.keep_open = true;
		} else if (!strcmp(a, "--ring")) {
			if (!opt_value(argc, argv, &i, &val))
				return 2;
			ring = strtoul(val, NULL, 0);
			if (ring == 0 || ring > UMX_VCHAN_MAX_RING) {
				fprintf(stderr, "umx vchan: --ring takes 1..%u\n",
				        UMX_VCHAN_MAX_RING);
				return 2;
			}
		} else if (!strcmp(a, "--wait")) {
			if (!opt_value(argc, argv, &i, &val))
				return 2;
			char *end;
			long w = strtol(val, &end, 10);
			if (!*val || *end || w < -1 || w > 86400) {
				fprintf(stderr,
				        "umx vchan: --wait '%s': takes 0 to 86400 seconds, or -1 "
				        "(forever)\n",
				        tool_show(val));
				return 2;
			}
			wait_s = (int)w;
			wait_given = true;
		} else if (!strcmp(a, "--stats")) {
			stats = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "umx vchan: unknown option %s\n", a);
			vchan_usage(stderr);
			return 2;
		} else if (npos < 3) {
			pos[npos++] = a;
		} else {
			vchan_usage(stderr);
			return 2;
		}
	}
	if (npos != 3 || (strcmp(pos[0], "server") != 0 && strcmp(pos[0], "client") != 0)) {
		vchan_usage(stderr);
		return 2;
	}
	server = !strcmp(pos[0], "server");
	if (tool_parse_domid(pos[2], &peer) < 0)
		return 2;
	/* On real Xen every process is in a domain; only on umxd can one forget
	 * `umx run`. */
	if (!getenv("UMX_DOMAIN_FD") && access("/proc/xen/capabilities", F_OK) != 0)
		fprintf(stderr, "umx vchan: not inside a domain (start it with `umx run -- umx "
		                "vchan ...`); connecting as the toolstack\n");
	signal(SIGPIPE, SIG_IGN);
	b.path = pos[1];
	b.peer = peer;
	if (server) {
		r = umx_vchan_server_open(peer, pos[1], ring, ring, &b.v);
	} else {
		/* The offer is usually there, or comes within the start-up race;
		 * a longer wait says what it waits for. */
		int first = wait_s < 0 || wait_s * 1000 > WAIT_SAY_MS ? WAIT_SAY_MS : wait_s * 1000;

		r = umx_vchan_client_open(peer, pos[1], first, &b.v);
		if ((r == -ENOENT || r == -EACCES) && (wait_s < 0 || wait_s * 1000 > first)) {
			if (wait_s < 0)
				fprintf(stderr,
				        "umx vchan client: waiting for domain %u to offer a vchan "
				        "at "
				        "%s\n",
				        peer, tool_show(pos[1]));
			else
				fprintf(stderr,
				        "umx vchan client: waiting up to %d s for domain %u to "
				        "offer a "
				        "vchan at %s\n",
				        wait_s, peer, tool_show(pos[1]));
			r = umx_vchan_client_open(peer, pos[1],
			                          wait_s < 0 ? -1 : wait_s * 1000 - first, &b.v);
		}
		/* Still nothing: the server is not there (or offers to another). */
		if (r == -ENOENT || r == -EACCES) {
			fprintf(stderr,
			        "umx vchan client: domain %u offered no vchan at %s within %d s "
			        "(is "
			        "`umx vchan server PATH CLIENT_DOMID` running there, with this "
			        "domain as its client?)\n",
			        peer, tool_show(pos[1]), wait_s < 0 ? 0 : wait_s);
			return 1;
		}
	}
	if (r < 0) {
		fprintf(stderr, "umx vchan %s: %s (domain %u): %s\n", pos[0], pos[1], peer,
		        strerror(-r));
		return 1;
	}
	if (sock) {
		int fd = listen_accept(sock);
		if (fd < 0) {
			umx_vchan_close(b.v);
			return 1;
		}
		b.in_fd = b.out_fd = fd;
		b.is_socket = true;
	}
	if (server && wait_given && wait_s > 0)
		b.connect_wait_ms = wait_s * 1000;
	t0 = umx_clock_s();
	r = bridge_run(&b);
	dt = umx_clock_s() - t0;
	if (r == -ECONNRESET && umx_vchan_died(b.v))
		fprintf(stderr,
		        "umx vchan %s: %s: the stream was cut short after %llu bytes received, "
		        "%llu sent\n",
		        pos[0], umx_vchan_died(b.v), b.rx, b.tx);
	else if (r == -ETIMEDOUT)
		fprintf(stderr,
		        "umx vchan server: client domain %u did not connect to %s within %d s\n",
		        peer, tool_show(pos[1]), wait_s);
	else if (r < 0)
		fprintf(stderr, "umx vchan %s: %s\n", pos[0],
		        umx_vchan_broken(b.v) ? umx_vchan_broken(b.v) : strerror(-r));
	else
		rc = 0;
	if (stats)
		fprintf(stderr,
		        "umx vchan %s: sent %llu bytes, received %llu bytes in %.3f s "
		        "(%.1f MiB/s)\n",
		        pos[0], b.tx, b.rx, dt,
		        dt > 0 ? (double)(b.tx > b.rx ? b.tx : b.rx) / dt / 1048576.0 : 0.0);
	umx_vchan_close(b.v);
	if (b.is_socket)
		close(b.in_fd);
	return rc;
}
