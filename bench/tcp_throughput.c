/* SPDX-License-Identifier: MIT */
/*
 * TCP throughput over umx: lwIP domain -> lwIP domain through the switch
 * (umx-lwip-httpd -> umx-lwip-get), and lwIP domain -> host through the
 * slirp router's port forward (a host socket reads /bytes/N), beside the
 * host's own loopback TCP in the same run. Bytes per run: 128 MiB x
 * BENCH_SECONDS. The programs are found next to this one in the build tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench_util.h"
#include "umx/conn.h"
#include "umx/internal/ctl.h"
#include "umx/domain.h"
#include "umx/net.h"
#include "umx/xs.h"

extern char **environ;

static char build[PATH_MAX / 2];
static pid_t kids[16];
static int nkids;

static pid_t spawn(const char *const argv[], int err_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	r = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "bench_tcp_throughput: spawn %s: %s\n", argv[0], strerror(r));
		return -1;
	}
	return pid;
}

static void path(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", build, rel);
}

static int domid_of(umx_conn *ts, const char *name, uint32_t *domid)
{
	static struct umx_ctl_domain_info info[64];

	for (int tries = 0; tries < 400; tries++) {
		int n = umx_domain_list(ts, 0, info, 64);

		for (int i = 0; i < n; i++) {
			if (strcmp(info[i].name, name) == 0) {
				*domid = info[i].domid;
				return 0;
			}
		}
		usleep(10000);
	}
	return -ENOENT;
}

/* umx run --name NAME -- PROG ARGS..., then attach its vif to @sw. slirp,
 * the NAT to the host's network, runs with the host's (--net host). */
static int start_domain(umx_conn *ts, umx_xs *xs, uint32_t sw, const char *name,
                        const char *const prog[], int err_fd, uint32_t *domid)
{
	const char *argv[24];
	char umx[PATH_MAX];
	int n = 0;
	uint32_t d;

	path(umx, "tools/umx");
	argv[n++] = umx;
	argv[n++] = "run";
	argv[n++] = "--name";
	argv[n++] = name;
	if (!strcmp(name, "slirp")) {
		argv[n++] = "--net";
		argv[n++] = "host";
	}
	argv[n++] = "--";
	for (int i = 0; prog[i] && n < 23; i++)
		argv[n++] = prog[i];
	argv[n] = NULL;
	if ((kids[nkids] = spawn(argv, err_fd)) < 0)
		return -1;
	nkids++;
	if (domid_of(ts, name, &d) < 0)
		return -1;
	if (xs && umx_net_attach(xs, d, sw, 0, NULL) < 0)
		return -1;
	if (domid)
		*domid = d;
	return 0;
}

static void drain_socket(int fd, uint64_t *got)
{
	static char buf[1 << 16];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*got += (uint64_t)n;
}

/* The host's own TCP over loopback: @bytes in 64 KiB writes. */
static double loopback_tcp(uint64_t bytes)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), c, s;
	static char buf[1 << 16];
	uint64_t got = 0, t0, t1;
	pid_t pid;

	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(1);
		for (uint64_t sent = 0; sent < bytes;) {
			ssize_t n = write(c, buf, sizeof(buf));

			if (n <= 0)
				_exit(1);
			sent += (uint64_t)n;
		}
		_exit(0);
	}
	s = accept(ls, NULL, NULL);
	t0 = umx_clock_ns();
	drain_socket(s, &got);
	t1 = umx_clock_ns();
	close(s);
	close(ls);
	waitpid(pid, NULL, 0);
	return (double)got / ((double)(t1 - t0) / 1e9);
}

/* GET /bytes/N from 127.0.0.1:@port (the slirp forward); bytes/s of body. */
static double host_get(int port, uint64_t bytes)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[128];
	uint64_t got = 0, t0, t1;
	int fd = -1;

	for (int tries = 0; tries < 100; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	}
	if (fd < 0)
		return 0;
	snprintf(req, sizeof(req), "GET /bytes/%llu HTTP/1.0\r\n\r\n", (unsigned long long)bytes);
	t0 = umx_clock_ns();
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return 0;
	}
	drain_socket(fd, &got);
	t1 = umx_clock_ns();
	close(fd);
	if (got < bytes) /* headers included in got; a short body is a failure */
		return 0;
	return (double)bytes / ((double)(t1 - t0) / 1e9);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/umx-bench-tcp-XXXXXX", exe[PATH_MAX], p_umxd[PATH_MAX], p_umx[PATH_MAX],
	     p_httpd[PATH_MAX], p_get[PATH_MAX], p_slirp[PATH_MAX], nbuf[64], fwd[64],
	     logp[PATH_MAX];
	uint64_t bytes = (uint64_t)(128.0 * 1024 * 1024 * bench_seconds());
	double lo, d2d = 0, h2d = 0, secs = 0;
	umx_conn *ts = NULL;
	umx_xs *xs = NULL;
	uint32_t sw;
	pid_t daemon, client;
	int devnull, logfd, st, port = 20000 + getpid() % 20000, rc = 1;
	ssize_t n;

	(void)argc;
	(void)argv;
	if (bytes < 8u << 20)
		bytes = 8u << 20;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0'; /* .../bench */
	*strrchr(exe, '/') = '\0'; /* the build tree */
	if (strlen(exe) >= sizeof(build))
		return 1;
	memcpy(build, exe, strlen(exe) + 1);
	path(p_umxd, "daemon/umxd");
	path(p_umx, "tools/umx");
	path(p_httpd, "tools/lwip/umx-lwip-httpd");
	path(p_get, "tools/lwip/umx-lwip-get");
	path(p_slirp, "tools/slirp/umx-slirp");
	if (access(p_httpd, X_OK) != 0 || access(p_slirp, X_OK) != 0) {
		fprintf(stderr, "bench_tcp_throughput: lwIP/slirp programs not built in %s\n",
		        build);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lo = loopback_tcp(bytes);

	if (!mkdtemp(dir))
		return 1;
	setenv("UMX_DIR", dir, 1);
	devnull = open("/dev/null", O_WRONLY);
	{
		const char *a[] = {p_umxd, "-f", "-d", dir, NULL};

		daemon = spawn(a, devnull);
	}
	for (int i = 0; i < 500 && umx_conn_open_toolstack(dir, &ts) < 0; i++)
		usleep(10000);
	if (!ts || umx_xs_open(&xs) < 0)
		goto out;
	{
		const char *sw_a[] = {p_umx, "net", "switch", NULL};
		const char *web_a[] = {p_httpd, "--ip", "10.0.2.15/24", "--gw", "10.0.2.2", NULL};
		const char *sl_a[] = {p_slirp, "--forward", fwd, NULL};

		snprintf(fwd, sizeof(fwd), "tcp:%d:10.0.2.15:80", port);
		if (start_domain(ts, NULL, 0, "switch", sw_a, devnull, &sw) < 0 ||
		    start_domain(ts, xs, sw, "web", web_a, devnull, NULL) < 0 ||
		    start_domain(ts, xs, sw, "slirp", sl_a, devnull, NULL) < 0)
			goto out;
	}
	/* domain -> domain: the client reports its own transfer time. */
	snprintf(nbuf, sizeof(nbuf), "/bytes/%llu", (unsigned long long)bytes);
	snprintf(logp, sizeof(logp), "%s/client.log", dir);
	logfd = open(logp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	{
		const char *cl_a[] = {p_get,    "--ip", "10.0.2.16/24", "--server", "10.0.2.15",
		                      "--path", nbuf,   "--quiet",      NULL};
		uint32_t cd;

		if (start_domain(ts, xs, sw, "client", cl_a, logfd, &cd) < 0)
			goto out;
		client = kids[--nkids];
		waitpid(client, &st, 0);
	}
	{
		char line[256] = "";
		unsigned long long got = 0;
		FILE *f = fdopen(logfd, "r");

		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "umx-lwip-get: HTTP 200, %llu bytes in %lf s", &got,
			           &secs) == 2)
				break;
		fclose(f);
		if (got == bytes && secs > 0)
			d2d = (double)bytes / secs;
	}
	/* host -> domain through the slirp forward */
	h2d = host_get(port, bytes);
	rc = d2d > 0 && h2d > 0 ? 0 : 1;
out:
	for (int i = nkids - 1; i >= 0; i--) {
		kill(kids[i], SIGTERM);
		waitpid(kids[i], NULL, 0);
	}
	umx_xs_close(xs);
	umx_conn_close(ts);
	if (daemon > 0) {
		kill(daemon, SIGTERM);
		waitpid(daemon, NULL, 0);
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_tcp_throughput: could not remove %s\n", dir);
	}
	printf("TCP bulk transfer, %llu MiB per run (lwIP is not built for speed)\n",
	       (unsigned long long)(bytes >> 20));
	printf("%-44s %9.1f MiB/s   host loopback TCP %9.1f MiB/s   ratio %.3fx\n",
	       "tcp lwIP domain -> lwIP domain (switch)", d2d / 1048576.0, lo / 1048576.0,
	       lo > 0 ? d2d / lo : 0);
	printf("%-44s %9.1f MiB/s   host loopback TCP %9.1f MiB/s   ratio %.3fx\n",
	       "tcp host GET from lwIP domain (slirp fwd)", h2d / 1048576.0, lo / 1048576.0,
	       lo > 0 ? h2d / lo : 0);
	return rc;
}
