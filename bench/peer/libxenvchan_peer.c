/* SPDX-License-Identifier: MIT */
/*
 * libxenvchan_peer — Xen's own libxenvchan (Debian's, unmodified) as one end
 * of a vchan, for the benchmark that sets it beside umx's vchan and for the
 * real-Xen harness. It runs wherever the dynamic linker finds libxenvchan's
 * dependencies: on real Xen (Debian's libraries) or on umxd inside a domain
 * through umx's drop-ins (`umx run --xen-compat`).
 *
 *   libxenvchan_peer pipe server|client PEER_DOMID PATH RING [IN_BYTES]
 *
 *     stdin -> vchan and vchan -> stdout at once. The server offers PATH with
 *     rings of at least RING bytes each way (the client takes the server's
 *     sizes). Once stdin has ended, everything written has been read by the
 *     peer and IN_BYTES have arrived (or the peer has closed), it closes the
 *     vchan: a peer that waits for the close (`umx vchan -k`) then ends
 *     too, having lost nothing. Exit 0 when IN_BYTES (if given) arrived.
 *
 *   libxenvchan_peer bench server|client PEER_DOMID PATH RING MODE SIZE SECS
 *
 *     The loops of bench/vchan_stream.c on libxenvchan: the server sends
 *     (MODE stream: SIZE-byte writes; packet: SIZE-byte sends; pingpong: it
 *     echoes) for SECS seconds and closes; the client receives (stream:
 *     reads of up to 64 KiB) and prints the rate on stdout (bytes/s,
 *     packets/s or round trips/s).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxenvchan.h>

#include "umx/clock.h"

#define CHUNK         65536
#define CONNECT_TRIES 1000 /* x 10 ms */

static uint8_t inbuf[CHUNK], outbuf[CHUNK];

static struct libxenvchan *open_vchan(int server, int peer, const char *path, size_t ring)
{
	struct libxenvchan *v = NULL;

	if (server) {
		v = libxenvchan_server_init(NULL, peer, path, ring, ring);
		if (!v) {
			perror("libxenvchan_peer: libxenvchan_server_init");
			return NULL;
		}
		/* server_init returns before the client has connected. */
		while (libxenvchan_is_open(v) == 2)
			if (libxenvchan_wait(v) < 0) {
				perror("libxenvchan_peer: wait for the client");
				libxenvchan_close(v);
				return NULL;
			}
		return v;
	}
	for (int i = 0; i < CONNECT_TRIES && !v; i++)
		if (!(v = libxenvchan_client_init(NULL, peer, path)))
			usleep(10000);
	if (!v)
		perror("libxenvchan_peer: libxenvchan_client_init");
	return v;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- pipe: stdin/stdout through the vchan ------------------------------ */

static int run_pipe(struct libxenvchan *v, long long want_in)
{
	size_t pend = 0, off = 0;
	long long got = 0;
	int in_open = 1, ring_size;

	v->blocking = 0;
	ring_size = libxenvchan_buffer_space(v); /* empty at the start */
	if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0)
		return 1;
	for (;;) {
		struct pollfd pf[2] = {{libxenvchan_fd_for_select(v), POLLIN, 0}, {0, POLLIN, 0}};
		int progress = 0, n;

		if (in_open && !pend) {
			ssize_t r = read(0, inbuf, sizeof(inbuf));
			if (r > 0) {
				pend = (size_t)r;
				off = 0;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				in_open = 0;
			}
		}
		if (pend) {
			n = libxenvchan_write(v, inbuf + off, pend);
			if (n < 0) {
				fprintf(stderr, "libxenvchan_peer: peer closed while we wrote\n");
				return 1;
			}
			off += (size_t)n;
			pend -= (size_t)n;
			progress |= n > 0;
		}
		n = libxenvchan_read(v, outbuf, sizeof(outbuf));
		if (n > 0) {
			if (write_all(1, outbuf, (size_t)n) < 0) {
				perror("libxenvchan_peer: stdout");
				return 1;
			}
			got += n;
			progress = 1;
		} else if (n < 0 || !libxenvchan_is_open(v)) {
			if (libxenvchan_data_ready(v) == 0)
				break; /* peer closed and drained */
		}
		if (!in_open && !pend && (want_in < 0 || got >= want_in) &&
		    libxenvchan_buffer_space(v) >= ring_size)
			break; /* our data is all read by the peer */
		if (progress)
			continue;
		/* Both queries also ask the peer to notify us. */
		if (libxenvchan_data_ready(v) > 0 || (pend && libxenvchan_buffer_space(v) > 0))
			continue;
		if (poll(pf, in_open && !pend ? 2 : 1, 1000) < 0 && errno != EINTR)
			return 1;
		if (pf[0].revents)
			libxenvchan_wait(v); /* consumes the event and unmasks */
	}
	libxenvchan_close(v);
	if (want_in >= 0 && got != want_in) {
		fprintf(stderr, "libxenvchan_peer: received %lld of %lld bytes\n", got, want_in);
		return 1;
	}
	return 0;
}

/* ---- bench: the loops of bench/vchan_stream.c ---------------------------- */

enum mode {
	STREAM,
	PACKET,
	PINGPONG
};

static void bench_send(struct libxenvchan *v, enum mode m, size_t size, double secs)
{
	uint64_t end = umx_clock_ns() + (uint64_t)(secs * 1e9);

	if (m == PINGPONG) {
		while (libxenvchan_recv(v, outbuf, size) == (int)size)
			if (libxenvchan_send(v, outbuf, size) != (int)size)
				break;
		return;
	}
	while (umx_clock_ns() < end)
		for (int i = 0; i < 64; i++) {
			int r = m == PACKET ? libxenvchan_send(v, inbuf, size)
			                    : libxenvchan_write(v, inbuf, size);
			if (r != (int)size)
				return;
		}
}

static double bench_recv(struct libxenvchan *v, enum mode m, size_t size, double secs)
{
	uint64_t n = 0, t0 = 0;

	if (m == PINGPONG) {
		uint64_t end;
		t0 = umx_clock_ns();
		end = t0 + (uint64_t)(secs * 1e9);
		while (umx_clock_ns() < end) {
			for (int i = 0; i < 64; i++)
				if (libxenvchan_send(v, inbuf, size) != (int)size ||
				    libxenvchan_recv(v, outbuf, size) != (int)size)
					return 0;
			n += 64;
		}
		return (double)n * 1e9 / (double)(umx_clock_ns() - t0);
	}
	for (;;) {
		int r = m == PACKET ? libxenvchan_recv(v, outbuf, size)
		                    : libxenvchan_read(v, outbuf, sizeof(outbuf));
		if (r <= 0)
			break;
		if (!t0)
			t0 = umx_clock_ns();
		n += m == PACKET ? 1 : (uint64_t)r;
	}
	return t0 && umx_clock_ns() > t0 ? (double)n * 1e9 / (double)(umx_clock_ns() - t0) : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: libxenvchan_peer pipe server|client PEER_DOMID PATH RING "
	                "[IN_BYTES]\n"
	                "       libxenvchan_peer bench server|client PEER_DOMID PATH RING "
	                "stream|packet|pingpong SIZE SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct libxenvchan *v;
	int server, peer;
	size_t ring;

	if (argc < 6 || (strcmp(argv[2], "server") && strcmp(argv[2], "client")))
		return usage();
	server = !strcmp(argv[2], "server");
	peer = atoi(argv[3]);
	ring = strtoul(argv[5], NULL, 0);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(argv[1], "pipe") && argc <= 7) {
		long long want = argc == 7 ? strtoll(argv[6], NULL, 0) : -1;
		if (!(v = open_vchan(server, peer, argv[4], ring)))
			return 1;
		return run_pipe(v, want);
	}
	if (!strcmp(argv[1], "bench") && argc == 9) {
		enum mode m = !strcmp(argv[6], "packet")     ? PACKET
		              : !strcmp(argv[6], "pingpong") ? PINGPONG
		                                             : STREAM;
		size_t size = strtoul(argv[7], NULL, 0);
		double secs = atof(argv[8]);

		if (!size || size > CHUNK)
			return usage();
		memset(inbuf, 0xa5, sizeof(inbuf));
		if (!(v = open_vchan(server, peer, argv[4], ring)))
			return 1;
		v->blocking = 1;
		if (server) {
			bench_send(v, m, size, secs);
		} else {
			double rate = bench_recv(v, m, size, secs);
			printf("%.3f\n", rate);
		}
		libxenvchan_close(v);
		return 0;
	}
	return usage();
}
