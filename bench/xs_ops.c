/* SPDX-License-Identifier: MIT */
/*
 * XenStore read and write ops/s with 1 and 8 concurrent client processes
 * speaking xs_wire over the Unix socket to the standalone store (one
 * request in flight per client, as libxenstore does). Baseline: the same
 * requests fed straight into the engine in-process, i.e. the cost of the
 * socket and process hops. Xen's own C xenstored is not packaged to run
 * without a hypervisor on Debian bookworm (no `xenstored` package), so it
 * cannot be measured here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/internal/fdio.h"
#include "xenstore/xs_rawmsg.h"

static int call(int fd, uint32_t type, const void *p, uint32_t len)
{
	unsigned char buf[16 + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg h;
	if (umx_fd_write_all(fd, buf, xs_raw_encode(buf, type, 0, 0, p, len)) ||
	    umx_fd_read_all(fd, &h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX ||
	    umx_fd_read_all(fd, buf, h.len))
		return -1;
	return h.type == type ? 0 : -1;
}

/* One client process: ops until @end_ns; returns the count via @pfd. */
static void client(const char *sock, int id, bool do_write, uint64_t end_ns, int pfd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char req[64];
	uint64_t ops = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(1);
	int n = snprintf(req, sizeof(req), "/bench/c%d%cvalue-%d", id, 0, id);
	if (call(fd, XS_WRITE, req, (uint32_t)n))
		_exit(1);
	while (umx_clock_ns() < end_ns) {
		for (int i = 0; i < 64; i++) {
			int rc = do_write ? call(fd, XS_WRITE, req, (uint32_t)n)
			                  : call(fd, XS_READ, req, (uint32_t)strlen(req) + 1);
			if (rc)
				_exit(1);
		}
		ops += 64;
	}
	if (write(pfd, &ops, sizeof(ops)) != sizeof(ops))
		_exit(1);
	_exit(0);
}

static double run_clients(const char *sock, int nclients, bool do_write)
{
	int p[2];
	uint64_t total = 0, start, end;
	if (pipe(p))
		return 0;
	start = umx_clock_ns();
	end = start + (uint64_t)(bench_seconds() * 1e9);
	pid_t pids[8];
	for (int i = 0; i < nclients && i < 8; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(p[0]);
			client(sock, i, do_write, end, p[1]);
		}
	}
	close(p[1]);
	for (int i = 0; i < nclients; i++) {
		uint64_t ops;
		if (read(p[0], &ops, sizeof(ops)) == sizeof(ops))
			total += ops;
	}
	close(p[0]);
	for (int i = 0; i < nclients && i < 8; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	return (double)total / ((double)(umx_clock_ns() - start) / 1e9);
}

/* Baseline: the same socket round trip to a process that only echoes each
 * message back (no store): what any Unix-socket daemon costs here. */
static void echo_server(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(0);
		if (fork() == 0) {
			unsigned char buf[16 + XENSTORE_PAYLOAD_MAX];
			struct xsd_sockmsg h;
			while (!umx_fd_read_all(fd, &h, sizeof(h)) &&
			       h.len <= XENSTORE_PAYLOAD_MAX &&
			       !umx_fd_read_all(fd, buf + sizeof(h), h.len)) {
				memcpy(buf, &h, sizeof(h));
				if (umx_fd_write_all(fd, buf, sizeof(h) + h.len))
					break;
			}
			_exit(0);
		}
		close(fd);
	}
}

static pid_t start_echo(const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGCHLD, SIG_IGN);
		echo_server(lfd);
	}
	close(lfd);
	return pid;
}

/* The engine alone, in-process: the ceiling for the socket numbers. */
static double run_engine(bool do_write)
{
	struct xs_store *st;
	struct xs_conn *c;
	unsigned char in[64], out[256];
	static const char req[] = "/bench/e\0value-e";
	uint64_t ops = 0, start, end;
	if (xs_store_new(NULL, &st))
		return 0;
	c = xs_conn_new(st, 0, NULL, NULL);
	size_t wn = xs_raw_encode(in, XS_WRITE, 0, 0, req, sizeof(req) - 1);
	xs_conn_feed(c, in, wn);
	xs_conn_pop(c, out, sizeof(out));
	size_t n = do_write ? wn : xs_raw_encode(in, XS_READ, 0, 0, req, 9);
	start = umx_clock_ns();
	end = start + (uint64_t)(bench_seconds() * 1e9);
	while (umx_clock_ns() < end) {
		for (int i = 0; i < 256; i++) {
			xs_conn_feed(c, in, n);
			xs_conn_pop(c, out, sizeof(out));
		}
		ops += 256;
	}
	double r = (double)ops / ((double)(umx_clock_ns() - start) / 1e9);
	xs_store_free(st);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/umx-xsbench-XXXXXX", sock[64], esock[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock, sizeof(sock), "%s/xenstored", dir);
	pid_t srv = fork();
	if (srv == 0) {
		char *argv[] = {"xs-bench-server", sock, NULL};
		_exit(umxd_xs_standalone_main(2, argv));
	}
	for (int i = 0; i < 100 && access(sock, F_OK); i++)
		usleep(20000);
	snprintf(esock, sizeof(esock), "%s/echo", dir);
	pid_t echo = start_echo(esock);
	double er = run_engine(false), ew = run_engine(true);
	bench_report("xenstore engine in-process read", er, NULL, 0);
	bench_report("xenstore engine in-process write", ew, NULL, 0);
	for (int n = 1; n <= 8; n += 7) {
		char name[64], base[64];
		/* the echo peer answers anything: "read" requests give its rate */
		double e = echo > 0 ? run_clients(esock, n, false) : 0;
		double r = run_clients(sock, n, false), w = run_clients(sock, n, true);
		snprintf(base, sizeof(base), "echo round trip, %d client%s", n, n > 1 ? "s" : "");
		snprintf(name, sizeof(name), "xenstore socket read, %d client%s", n,
		         n > 1 ? "s" : "");
		bench_report(name, r, base, e);
		snprintf(name, sizeof(name), "xenstore socket write, %d client%s", n,
		         n > 1 ? "s" : "");
		bench_report(name, w, base, e);
	}
	if (echo > 0) {
		kill(echo, SIGTERM);
		waitpid(echo, NULL, 0);
		unlink(esock);
	}
	printf("Xen's C xenstored: not measured (not packaged to run without a hypervisor)\n");
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	rmdir(dir);
	return 0;
}
