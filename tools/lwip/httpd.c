/* SPDX-License-Identifier: MIT */
/*
 * umx-lwip-httpd — a tiny HTTP/1.0 server on lwIP's raw TCP API, run as a
 * domain (umx run -- umx-lwip-httpd ...). Pages:
 *   /            a short HTML page naming the domain
 *   /bytes/N     N bytes of the test pattern (lwip_inc.h), for transfers
 * Every response closes its connection. Exits on SIGTERM/SIGINT, or after
 * --max N responses.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip_inc.h"
#include "prog.h"

#define REQ_MAX   2048
#define CHUNK_MAX 65536

struct conn {
	struct tcp_pcb *pcb;
	char req[REQ_MAX + 1];
	size_t req_len;
	bool responding;
	char head[1024]; /* status line + headers (+ the small pages' body) */
	size_t head_len, head_off;
	uint64_t body_len, body_off; /* pattern bytes */
};

static unsigned long served, max_served;
static uint32_t domid;
static uint8_t chunk[CHUNK_MAX];

static void conn_free(struct conn *c)
{
	free(c);
}

/* Detach and close; lwIP sends what is queued, then the FIN. */
static void conn_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
	conn_free(c);
}

/* Queue as much of the response as lwIP's send buffer takes. */
static void send_more(struct conn *c)
{
	err_t e = ERR_OK;

	while (c->head_off < c->head_len && tcp_sndbuf(c->pcb) > 0) {
		size_t n = c->head_len - c->head_off;

		if (n > tcp_sndbuf(c->pcb))
			n = tcp_sndbuf(c->pcb);
		e = tcp_write(c->pcb, c->head + c->head_off, (u16_t)n,
		              TCP_WRITE_FLAG_COPY | (c->body_len ? TCP_WRITE_FLAG_MORE : 0));
		if (e != ERR_OK)
			break;
		c->head_off += n;
	}
	while (e == ERR_OK && c->head_off == c->head_len && c->body_off < c->body_len) {
		uint64_t left = c->body_len - c->body_off;
		size_t n = tcp_sndbuf(c->pcb);

		if (n == 0)
			break;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (n > 0xffff)
			n = 0xffff; /* tcp_write's length is 16 bits */
		if (n > left)
			n = (size_t)left;
		lwip_pattern_fill(chunk, c->body_off, n);
		e = tcp_write(c->pcb, chunk, (u16_t)n,
		              TCP_WRITE_FLAG_COPY | (n < left ? TCP_WRITE_FLAG_MORE : 0));
		if (e != ERR_OK)
			break;
		c->body_off += n;
	}
	tcp_output(c->pcb);
	if (c->head_off == c->head_len && c->body_off == c->body_len) {
		served++;
		conn_close(c);
	}
}

static void respond(struct conn *c)
{
	char path[256];
	unsigned long long n;
	char end;

	c->responding = true;
	if (sscanf(c->req, "GET %255s HTTP/1.%*d", path) != 1) {
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		                               "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n"
		                               "Connection: close\r\n\r\n");
	} else if (strcmp(path, "/") == 0) {
		char body[256];
		int bl = snprintf(body, sizeof(body),
		                  "<html><body><h1>Hello from umx domain %u</h1>"
		                  "<p>served by lwIP %s over a Xen PV netfront</p></body></html>\n",
		                  domid, LWIP_VERSION_STRING);

		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		                               "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
		                               "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
		                               bl, body);
	} else if (sscanf(path, "/bytes/%llu%c", &n, &end) == 1) {
		c->body_len = n;
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		                               "HTTP/1.0 200 OK\r\n"
		                               "Content-Type: application/octet-stream\r\n"
		                               "Content-Length: %llu\r\nConnection: close\r\n\r\n",
		                               n);
	} else {
		c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
		                               "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n"
		                               "Connection: close\r\n\r\n");
	}
	send_more(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	(void)pcb;
	(void)len;
	if (c && c->responding)
		send_more(c);
	return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	if (!p) { /* the client closed its side */
		if (c && !c->responding)
			conn_close(c);
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	if (c && !c->responding) {
		size_t room = REQ_MAX - c->req_len;
		size_t n = p->tot_len < room ? p->tot_len : room;

		pbuf_copy_partial(p, c->req + c->req_len, (u16_t)n, 0);
		c->req_len += n;
		c->req[c->req_len] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->req_len == REQ_MAX) {
			pbuf_free(p);
			respond(c); /* may free c */
			return ERR_OK;
		}
	}
	pbuf_free(p);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	/* lwIP has freed the pcb already. */
	(void)err;
	if (arg)
		conn_free(arg);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	return ERR_OK;
}

static const char usage[] = "usage: umx-lwip-httpd [--ip A.B.C.D/LEN] [--gw A.B.C.D] [--port P]\n"
                            "                      [--handle N] [--max RESPONSES]\n";

int main(int argc, char **argv)
{
	struct umx_lwip_config cfg = {.addr = "10.0.2.15/24", .connect_timeout_ms = 30000};
	unsigned port = 80;
	const struct prog_opt opts[] = {
	        PROG_OPT("ip", PROG_STR, &cfg.addr),
	        PROG_OPT("gw", PROG_STR, &cfg.gateway),
	        PROG_OPT_MAX("port", PROG_UINT, &port, 65535),
	        PROG_OPT("handle", PROG_UINT, &cfg.handle),
	        PROG_OPT("max", PROG_ULONG, &max_served),
	        PROG_OPT_END,
	};
	struct umx_lwip_stats st;
	umx_plat *p = NULL;
	umx_lwip *l = NULL;
	struct tcp_pcb *lpcb;
	int r, rc = 1;

	if (prog_parse("umx-lwip-httpd", argc, argv, opts, usage) < 0)
		return 2;
	prog_start("umx-lwip-httpd");
	signal(SIGPIPE, SIG_IGN);
	if (prog_platform_open("umx-lwip-httpd", &p) < 0)
		return 1;
	domid = umx_plat_domid(p);
	if ((r = umx_lwip_open(p, &cfg, &l)) < 0) {
		fprintf(stderr, "umx-lwip-httpd: vif %u: %s\n", cfg.handle, strerror(-r));
		goto out;
	}
	lpcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!lpcb || tcp_bind(lpcb, IP4_ADDR_ANY, (u16_t)port) != ERR_OK) {
		fprintf(stderr, "umx-lwip-httpd: cannot bind port %u\n", port);
		goto out;
	}
	lpcb = tcp_listen(lpcb);
	tcp_accept(lpcb, on_accept);
	fprintf(stderr, "umx-lwip-httpd: domain %u serving HTTP on %s port %u\n", domid, cfg.addr,
	        port);
	while (!prog_stop && (!max_served || served < max_served)) {
		r = umx_lwip_poll(l, 200);
		if (r == -EPROTO) {
			fprintf(stderr, "umx-lwip-httpd: netfront broken: %s\n",
			        umx_netfront_broken(umx_lwip_netfront(l)));
			goto out;
		}
		if (r == -ESHUTDOWN) {
			fprintf(stderr,
			        "umx-lwip-httpd: the store (umxd) or the switch is gone; "
			        "stopping after %lu responses\n",
			        served);
			goto out;
		}
	}
	/* Let the last responses drain (FIN, ACKs) for a moment. */
	for (int i = 0; i < 20 && umx_lwip_poll(l, 10) != -ESHUTDOWN; i++)
		;
	umx_lwip_stats(l, &st);
	fprintf(stderr,
	        "umx-lwip-httpd: %lu responses; frames tx %" PRIu64 " rx %" PRIu64
	        ", tx ring full %" PRIu64 ", dropped tx %" PRIu64 " rx %" PRIu64 "\n",
	        served, st.tx_frames, st.rx_frames, st.tx_ring_full, st.tx_dropped, st.rx_dropped);
	rc = 0;
out:
	umx_lwip_close(l);
	umx_plat_close(p);
	return rc;
}
