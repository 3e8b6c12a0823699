/* SPDX-License-Identifier: MIT */
/*
 * Linux's own TCP between two domains started with `umx run --net`: bulk
 * throughput and 1-byte request/response rate through their netfronts and
 * the switch, beside the same over the host's loopback, same run, same
 * program. Bytes per bulk run: 256 MiB x BENCH_SECONDS; round trips: 5000 x
 * BENCH_SECONDS.
 *
 * Without arguments it is the driver: a private umxd, a switch domain, and
 * itself twice as domains (`serve`, `client`). The domains' stack is the
 * host kernel's, in their own network namespaces, so the difference to
 * loopback is what umx adds: the TAP devices, the pumps, the netfront/
 * netback rings and the switch.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "umx/internal/clock.h"
#include "umx/internal/fdio.h"

extern char **environ;

#define CHUNK (256u * 1024u)

/* serve PORT: one bulk connection (read to EOF, answer the byte count),
 * then one request/response connection (echo each byte until EOF). */
static int serve(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static char buf[CHUNK];
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0) {
		perror("serve: bind/listen");
		return 1;
	}
	for (int round = 0; round < 2; round++) {
		int c = accept(s, NULL, NULL);
		uint64_t total = 0;
		ssize_t n;

		if (c < 0)
			return 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (round == 0) {
			while ((n = read(c, buf, sizeof(buf))) > 0)
				total += (uint64_t)n;
			if (umx_fd_write_all(c, &total, sizeof(total)) < 0)
				return 1;
		} else {
			char b;
			while (read(c, &b, 1) == 1)
				if (write(c, &b, 1) != 1)
					return 1;
		}
		close(c);
	}
	return 0;
}

static int dial(const char *host, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;

	inet_pton(AF_INET, host, &a.sin_addr);
	for (int i = 0; i < 200; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return s;
		}
		close(s);
		usleep(20000);
	}
	return -1;
}

/* client HOST PORT BYTES ROUNDS: prints "bulk_mibs=X rr_per_s=Y". */
static int client(const char *host, int port, uint64_t bytes, unsigned rounds)
{
	static char buf[CHUNK];
	uint64_t got = 0, t0, t1;
	double mibs, rr;
	int s = dial(host, port);

	if (s < 0) {
		fprintf(stderr, "client: cannot connect to %s:%d\n", host, port);
		return 1;
	}
	memset(buf, 0x5a, sizeof(buf));
	t0 = umx_clock_ns();
	for (uint64_t sent = 0; sent < bytes; sent += CHUNK)
		if (umx_fd_write_all(s, buf, CHUNK) < 0)
			return 1;
	shutdown(s, SHUT_WR);
	if (umx_fd_read_all(s, &got, sizeof(got)) < 0 || got != bytes) {
		fprintf(stderr, "client: the server counted %llu of %llu bytes\n",
		        (unsigned long long)got, (unsigned long long)bytes);
		return 1;
	}
	t1 = umx_clock_ns();
	close(s);
	mibs = (double)bytes / (1024.0 * 1024.0) / ((double)(t1 - t0) / 1e9);
	if ((s = dial(host, port)) < 0)
		return 1;
	t0 = umx_clock_ns();
	for (unsigned i = 0; i < rounds; i++) {
		char b = (char)i, r;
		if (umx_fd_write_all(s, &b, 1) < 0 || umx_fd_read_all(s, &r, 1) < 0 || r != b)
			return 1;
	}
	t1 = umx_clock_ns();
	close(s);
	rr = (double)rounds / ((double)(t1 - t0) / 1e9);
	printf("bulk_mibs=%.1f rr_per_s=%.0f\n", mibs, rr);
	return 0;
}

static pid_t spawn(char *const argv[], int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return r ? -1 : pid;
}

static int run_wait(char *const argv[], int out_fd)
{
	int st;
	pid_t p = spawn(argv, out_fd);
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One client run against @host, its line parsed. */
static int measure(char *const argv[], double *mibs, double *rr)
{
	char tmpl[] = "/tmp/umx-bench-net-XXXXXX", line[128] = "";
	int fd = mkstemp(tmpl), r;
	ssize_t n;

	if (fd < 0)
		return -1;
	unlink(tmpl);
	r = run_wait(argv, fd);
	n = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	if (r < 0 || n <= 0 || sscanf(line, "bulk_mibs=%lf rr_per_s=%lf", mibs, rr) != 2)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], umx[PATH_MAX + 32], umxd[PATH_MAX + 32],
	        dir[] = "/tmp/umx-bench-XXXXXX";
	char bytes_s[32], rounds_s[16], *slash;
	uint64_t bytes = (uint64_t)(256.0 * 1024 * 1024 * bench_seconds());
	unsigned rounds = (unsigned)(5000.0 * bench_seconds());
	double hm = 0, hr = 0, dm = 0, dr = 0;
	pid_t d = -1, sw = -1, hs = -1, ds = -1;
	ssize_t n;
	int rc = 1;

	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10),
		              (unsigned)atoi(argv[5]));
	bytes = bytes / CHUNK ? bytes / CHUNK * CHUNK : CHUNK; /* whole writes */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	if ((slash = strrchr(self, '/')))
		*slash = 0;
	if (snprintf(umxd, sizeof(umxd), "%.*s/../daemon/umxd", PATH_MAX - 32, self) < 0 ||
	    snprintf(umx, sizeof(umx), "%.*s/../tools/umx", PATH_MAX - 32, self) < 0)
		return 1;
	if (slash)
		*slash = '/';
	snprintf(bytes_s, sizeof(bytes_s), "%llu", (unsigned long long)bytes);
	snprintf(rounds_s, sizeof(rounds_s), "%u", rounds);
	if (!mkdtemp(dir))
		return 1;
	setenv("UMX_DIR", dir, 1);

	/* The host's loopback, same program. */
	{
		char *sv[] = {self, "serve", "5201", NULL};
		char *cl[] = {self, "client", "127.0.0.1", "5201", bytes_s, rounds_s, NULL};
		hs = spawn(sv, -1);
		if (hs < 0 || measure(cl, &hm, &hr) < 0) {
			fprintf(stderr, "bench_net_tcp_domains: loopback run failed\n");
			goto out;
		}
	}
	/* Two --net domains on a switch. */
	{
		char *dv[] = {umxd, "-f", "-d", dir, NULL};
		char *sv[] = {umx, "run", "--name", "sw", "--", umx, "net", "switch", NULL};
		char *srv[] = {umx,  "run", "--name", "srv",  "--net", "sw,ip=10.77.0.1/24",
		               "--", self,  "serve",  "5201", NULL};
		char *cl[] = {umx,      "run", "--name", "cli",       "--net", "sw,ip=10.77.0.2/24",
		              "--",     self,  "client", "10.77.0.1", "5201",  bytes_s,
		              rounds_s, NULL};
		char *st[] = {umx, "daemon", "status", NULL};
		int i, null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		d = spawn(dv, -1);
		for (i = 0; i < 200 && run_wait(st, null) < 0; i++)
			usleep(50000);
		close(null);
		sw = spawn(sv, -1);
		usleep(300000);
		ds = spawn(srv, -1);
		if (d < 0 || sw < 0 || ds < 0 || measure(cl, &dm, &dr) < 0) {
			fprintf(stderr, "bench_net_tcp_domains: domain run failed\n");
			goto out;
		}
	}
	printf("%-44s %12s %12s %8s\n", "Linux TCP (bulk 256 KiB writes)", "MiB/s", "loopback",
	       "ratio");
	printf("%-44s %12.1f %12.1f %7.2fx\n", "domain -> domain, umx run --net (switch)", dm, hm,
	       dm / hm);
	printf("%-44s %12s %12s %8s\n", "1-byte request/response (TCP_NODELAY)", "round trips/s",
	       "loopback", "ratio");
	printf("%-44s %12.0f %12.0f %7.2fx\n", "domain <-> domain, umx run --net", dr, hr, dr / hr);
	rc = 0;
out:
	if (hs > 0) {
		kill(hs, SIGKILL);
		waitpid(hs, NULL, 0);
	}
	if (ds > 0) {
		kill(ds, SIGTERM);
		waitpid(ds, NULL, 0);
	}
	if (sw > 0) {
		kill(sw, SIGTERM);
		waitpid(sw, NULL, 0);
	}
	if (d > 0) {
		kill(d, SIGTERM);
		waitpid(d, NULL, 0);
	}
	{
		char *rm[] = {"/bin/rm", "-rf", dir, NULL};
		run_wait(rm, -1);
	}
	return rc;
}
