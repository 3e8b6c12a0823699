/* SPDX-License-Identifier: MIT */
/*
 * umx-lwip-get — an HTTP/1.0 client on lwIP's raw TCP API, run as a domain:
 * fetch http://SERVER:PORT/PATH over the domain's vif, print the body (or,
 * with --check, verify it is the test pattern of lwip_inc.h), and report
 * the transfer rate on stderr.
 *
 *   umx run -- umx-lwip-get --ip 10.0.0.3/24 --server 10.0.0.2 --path /bytes/67108864 --check
 *
 * Without a domain, `umx-lwip-get --verify-stdin [LEN]` checks that stdin is
 * the pattern (LEN bytes), e.g. behind curl on the host.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "umx/internal/clock.h"
#include "lwip_inc.h"
#include "prog.h"

#define HEAD_MAX 4096

enum state {
	RETRY,
	CONNECTING,
	WAITING,
	BODY,
	DONE,
	FAILED
};

static struct {
	struct tcp_pcb *pcb;
	enum state state;
	char req[512];
	char head[HEAD_MAX + 1];
	size_t head_len;
	int status;
	long long content_length; /* -1: unknown, until close */
	uint64_t got;
	bool check, quiet;
	long bad_at; /* first pattern mismatch, or -1 */
	char why[128];
} g = {.bad_at = -1, .content_length = -1};

/* A port in 49152..65535 (RFC 6056's dynamic range), different for each
 * run. */
static u16_t ephemeral_port(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)umx_clock_ms();
	return (u16_t)(49152u + r % 16384u);
}

static void fail(const char *why)
{
	if (g.state != FAILED && g.state != DONE)
		snprintf(g.why, sizeof(g.why), "%s", why);
	g.state = FAILED;
}

static void body(const uint8_t *buf, size_t n)
{
	if (g.check) {
		if (g.bad_at < 0) {
			long at = lwip_pattern_check(buf, g.got, n);

			if (at >= 0)
				g.bad_at = (long)g.got + at;
		}
	} else if (!g.quiet) {
		fwrite(buf, 1, n, stdout);
	}
	g.got += n;
}

static void finish(void)
{
	tcp_arg(g.pcb, NULL);
	tcp_recv(g.pcb, NULL);
	tcp_err(g.pcb, NULL);
	if (tcp_close(g.pcb) != ERR_OK)
		tcp_abort(g.pcb);
	g.pcb = NULL;
}

/* Headers arrive first; split them off, then the rest is body. */
static void take(struct pbuf *p)
{
	for (struct pbuf *q = p; q; q = q->next) {
		const uint8_t *d = q->payload;
		size_t n = q->len;

		if (g.state == WAITING) {
			size_t room = HEAD_MAX - g.head_len, k = n < room ? n : room;
			char *end;

			memcpy(g.head + g.head_len, d, k);
			g.head_len += k;
			g.head[g.head_len] = '\0';
			end = strstr(g.head, "\r\n\r\n");
			if (!end) {
				if (g.head_len == HEAD_MAX)
					fail("response headers too long");
				continue;
			}
			size_t hlen = (size_t)(end + 4 - g.head);
			size_t body_here = g.head_len - hlen; /* of this piece's k bytes */
			const char *cl = strcasestr(g.head, "\r\nContent-Length:");

			if (sscanf(g.head, "HTTP/1.%*d %d", &g.status) != 1) {
				fail("not an HTTP response");
				return;
			}
			if (cl && cl < end)
				g.content_length = strtoll(cl + 17, NULL, 10);
			g.state = BODY;
			d += k - body_here;
			n -= k - body_here;
		}
		if (g.state == BODY && n)
			body(d, n);
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	if (!p) {
		if (g.state == BODY)
			g.state = DONE;
		else
			fail("connection closed before the headers");
		finish();
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	take(p);
	pbuf_free(p);
	if (g.state == FAILED) {
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_err(pcb, NULL);
		tcp_abort(pcb);
		g.pcb = NULL;
		return ERR_ABRT;
	}
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	char why[64];

	(void)arg;
	g.pcb = NULL; /* freed by lwIP */
	snprintf(why, sizeof(why), "connection error: %s", lwip_strerr(err));
	if (g.state == CONNECTING) { /* refused: the server may be starting */
		snprintf(g.why, sizeof(g.why), "%s", why);
		g.state = RETRY;
		return;
	}
	fail(why);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK) {
		fail("connect failed");
		return err;
	}
	g.state = WAITING;
	tcp_write(pcb, g.req, (u16_t)strlen(g.req), TCP_WRITE_FLAG_COPY);
	tcp_output(pcb);
	return ERR_OK;
}

static int verify_stdin(long long want)
{
	static uint8_t buf[1 << 16];
	ssize_t n;

	g.check = true;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		body(buf, (size_t)n);
	if (n < 0 || g.bad_at >= 0 || (want >= 0 && (long long)g.got != want)) {
		fprintf(stderr,
		        "umx-lwip-get: stdin: %" PRIu64 " bytes, pattern %s (first bad byte %ld)\n",
		        g.got, g.bad_at >= 0 ? "MISMATCH" : "ok", g.bad_at);
		return 1;
	}
	fprintf(stderr, "umx-lwip-get: stdin: %" PRIu64 " bytes, pattern ok\n", g.got);
	return 0;
}

static const char usage[] =
        "usage: umx-lwip-get --server A.B.C.D [--port P] [--path /P] [--check] [--quiet]\n"
        "                    [--ip A.B.C.D/LEN] [--gw A.B.C.D] [--handle N] [--timeout S]\n"
        "       umx-lwip-get --verify-stdin [LEN]\n";

int main(int argc, char **argv)
{
	struct umx_lwip_config cfg = {.addr = "10.0.2.16/24", .connect_timeout_ms = 30000};
	const char *server = NULL, *path = "/";
	unsigned port = 80;
	double timeout = 120, t0, t1, deadline, retry_at = 0;
	bool verify = false;
	const struct prog_opt opts[] = {
	        PROG_OPT("ip", PROG_STR, &cfg.addr),
	        PROG_OPT("gw", PROG_STR, &cfg.gateway),
	        PROG_OPT("server", PROG_STR, &server),
	        PROG_OPT_MAX("port", PROG_UINT, &port, 65535),
	        PROG_OPT("path", PROG_STR, &path),
	        PROG_OPT("handle", PROG_UINT, &cfg.handle),
	        PROG_OPT("check", PROG_FLAG, &g.check),
	        PROG_OPT("quiet", PROG_FLAG, &g.quiet),
	        PROG_OPT("timeout", PROG_DOUBLE, &timeout),
	        PROG_OPT("verify-stdin", PROG_FLAG, &verify),
	        PROG_OPT_END,
	};
	umx_plat *p = NULL;
	umx_lwip *l = NULL;
	ip_addr_t dst;
	struct in_addr sa;
	int r, rc = 1, optind_ = prog_parse("umx-lwip-get", argc, argv, opts, usage);

	if (optind_ < 0)
		return 2;
	if (verify)
		return verify_stdin(optind_ < argc ? strtoll(argv[optind_], NULL, 10) : -1);
	if (!server || inet_pton(AF_INET, server, &sa) != 1) {
		fputs(usage, stderr);
		return 2;
	}
	prog_start("umx-lwip-get");
	snprintf(g.req, sizeof(g.req),
	         "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: umx-lwip-get\r\n\r\n", path, server);
	if (prog_platform_open("umx-lwip-get", &p) < 0)
		return 1;
	if ((r = umx_lwip_open(p, &cfg, &l)) < 0) {
		fprintf(stderr, "umx-lwip-get: vif %u: %s\n", cfg.handle, strerror(-r));
		goto out;
	}
	ip_addr_set_ip4_u32_val(dst, sa.s_addr);
	t0 = umx_clock_s();
	deadline = t0 + timeout;
	g.state = RETRY;
	while (!prog_stop && umx_clock_s() < deadline) {
		if (g.state == RETRY && umx_clock_s() >= retry_at) {
			if (umx_clock_s() > t0 + 10)
				break; /* refused for too long */
			g.pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
			if (!g.pcb) {
				fail("tcp_new");
				break;
			}
			/* A fresh process's lwIP picks the same first local port
			 * (and nearly the same initial sequence number) every
			 * time, so a client started again from the same address
			 * meets the server's TIME_WAIT of the last one: its SYN is
			 * answered with an ACK, not a SYN-ACK, and every retry
			 * waits longer until the fetch fails ("after 0 bytes").
			 * A random ephemeral port (RFC 6056) avoids the old
			 * connection's four-tuple. If it is taken here, lwIP
			 * picks one in tcp_connect. */
			(void)tcp_bind(g.pcb, IP4_ADDR_ANY, ephemeral_port());
			g.state = CONNECTING;
			tcp_recv(g.pcb, on_recv);
			tcp_err(g.pcb, on_err);
			if (tcp_connect(g.pcb, &dst, (u16_t)port, on_connected) != ERR_OK) {
				tcp_abort(g.pcb);
				g.pcb = NULL;
				fail("tcp_connect");
				break;
			}
			retry_at = umx_clock_s() + 0.2;
		}
		if (g.state == DONE || g.state == FAILED)
			break;
		r = umx_lwip_poll(l, 50);
		if (r == -EPROTO) {
			fail("netfront broken");
			break;
		}
		if (r == -ESHUTDOWN) {
			fail("the store (umxd) or the switch is gone");
			break;
		}
	}
	t1 = umx_clock_s();
	if (g.state != DONE) {
		fprintf(stderr, "umx-lwip-get: %s after %" PRIu64 " bytes\n",
		        g.why[0] ? g.why : "timed out", g.got);
		goto out;
	}
	if (g.status != 200 || (g.content_length >= 0 && (long long)g.got != g.content_length) ||
	    g.bad_at >= 0) {
		fprintf(stderr,
		        "umx-lwip-get: HTTP %d, %" PRIu64 " of %lld bytes, pattern %s (first bad "
		        "byte %ld)\n",
		        g.status, g.got, g.content_length, g.bad_at >= 0 ? "MISMATCH" : "ok",
		        g.bad_at);
		goto out;
	}
	fprintf(stderr, "umx-lwip-get: HTTP %d, %" PRIu64 " bytes in %.3f s = %.1f MiB/s%s\n",
	        g.status, g.got, t1 - t0, (double)g.got / (t1 - t0) / (1024.0 * 1024.0),
	        g.check ? ", pattern checked ok" : "");
	rc = 0;
out:
	fflush(stdout);
	/* Let the FIN/ACK exchange finish. */
	for (int i = 0; l && i < 10 && umx_lwip_poll(l, 10) != -ESHUTDOWN; i++)
		;
	umx_lwip_close(l);
	umx_plat_close(p);
	return rc;
}
