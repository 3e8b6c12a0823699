/* SPDX-License-Identifier: MIT */
/*
 * vchan_peer — one end of a libxenvchan connection, for the interop tests,
 * the vchan benchmark and the real-Xen harness: it uses whatever
 * libxenvchan/libxengnttab/libxenevtchn/libxenstore the dynamic linker
 * finds (Debian's on real Xen, or Debian's libxenvchan on umx's drop-ins
 * under `umx run --xen-compat`). Built a second time with -DVCHAN_PEER_UMX
 * as umx_vchan_peer, on umx's own vchan (vchan_peer_umx.h maps the calls),
 * so that both ends of a mixed pair run the same traffic pattern.
 *
 *   vchan_peer server|client RENDEZVOUS_DIR stream|packet BYTES SEED
 *              [close|die|die-server]
 *
 * Each end writes its domid to RENDEZVOUS_DIR/<role>.domid and waits for
 * the other's; the server listens at /local/domain/<server>/data/vchan.
 * Both ends then send BYTES and receive BYTES at the same time, with
 * message sizes drawn from a PRNG (stream: 1..65536, packet: 1..16384, the
 * receiver drawing the same sizes as the sender). The content at stream
 * position i is a function of (direction seed, i), so the receiver checks
 * every byte. Exit 0: all data received intact; 1: failure.
 * "close" (server): close as soon as both directions are done instead of
 * waiting for the client to close first (for a client that only exits
 * when the server closes, like `umx vchan -k`).
 * "die" (given to both): the client _exit()s right after connecting,
 * without closing; the server must then see the vchan closed (the unmap
 * notify is done on death) — it hangs until the timeout otherwise.
 * "die-server" (given to both): the same the other way round — the server
 * _exit()s once the client is connected; the client must see the vchan
 * closed through the unmap notify of the granter's share (its srv_live
 * byte cleared + an event when the granting process dies).
 *
 *   vchan_peer gen|check server|client BYTES SEED
 *
 * gen writes to stdout the stream that the given role would send; check
 * reads stdin and verifies it is that stream (for a peer that is not
 * vchan_peer, e.g. `umx vchan` between two pipes).
 *
 *   vchan_peer pipe server|client PEER_DOMID PATH RING [IN_BYTES]
 *
 * stdin -> vchan and vchan -> stdout at once. The server offers PATH with
 * rings of at least RING bytes each way (the client takes the server's
 * sizes). Once stdin has ended, everything written has been read by the
 * peer and IN_BYTES have arrived (or the peer has closed), it closes the
 * vchan: a peer that waits for the close (`umx vchan -k`) then ends too,
 * having lost nothing. Exit 0 when IN_BYTES (if given) arrived.
 *
 *   vchan_peer bench server|client PEER_DOMID PATH RING MODE SIZE SECS
 *
 * The loops of bench/vchan_stream.c: the server sends (MODE stream:
 * SIZE-byte writes; packet: SIZE-byte sends; pingpong: it echoes) for SECS
 * seconds and closes; the client receives (stream: reads of up to 64 KiB)
 * and prints the rate on stdout (bytes/s, packets/s or round trips/s).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx/internal/clock.h"
#include "umx/internal/fdio.h"

#ifdef VCHAN_PEER_UMX
#include "vchan_peer_umx.h"
#else
#include <libxenvchan.h>
#include <xenstore.h>

static void vp_set_blocking(struct libxenvchan *v, int blocking)
{
	v->blocking = blocking;
}
#endif

#define CHUNK         65536
#define CONNECT_TRIES 3000 /* x 10 ms */

/* Offer @path to @peer (and wait until it has connected), or connect to
 * the one @peer offers (retrying while it is not there yet). */
static struct libxenvchan *open_vchan(int server, int peer, const char *path, size_t ring)
{
	struct libxenvchan *v = NULL;

	if (server) {
		v = libxenvchan_server_init(NULL, peer, path, ring, ring);
		if (!v) {
			perror("vchan_peer: libxenvchan_server_init");
			return NULL;
		}
		/* server_init returns before the client has connected. */
		while (libxenvchan_is_open(v) == 2)
			if (libxenvchan_wait(v) < 0) {
				perror("vchan_peer: wait for the client");
				libxenvchan_close(v);
				return NULL;
			}
		return v;
	}
	for (int i = 0; i < CONNECT_TRIES && !v; i++)
		if (!(v = libxenvchan_client_init(NULL, peer, path)))
			usleep(10000);
	if (!v)
		perror("vchan_peer: libxenvchan_client_init");
	return v;
}

/* ---- server|client: both directions at once, every byte checked ------- */

#define RING_SIZE    65536
#define STREAM_MAX   CHUNK
#define PACKET_MAX   16384
#define TIMEOUT_SECS 600

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Bytes [pos, pos+len) of the stream with seed @seed. */
static void stream_fill(uint64_t seed, uint64_t pos, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint64_t w = splitmix(seed ^ ((pos + i) / 8) * 0x100000001b3ull);
		unsigned off = (unsigned)((pos + i) % 8);
		for (; off < 8 && i < len; off++, i++)
			buf[i] = (uint8_t)(w >> (off * 8));
	}
}

struct sizes {
	uint64_t state;
	size_t max;
};

static size_t next_size(struct sizes *s)
{
	s->state = splitmix(s->state);
	return 1 + (size_t)(s->state % s->max);
}

/* The message in progress (*@pend bytes left of it), or a new one of the
 * next size, at most @left. */
static void next_message(struct sizes *s, size_t *pend, uint64_t left)
{
	size_t n;

	if (*pend)
		return;
	n = next_size(s);
	*pend = n > left ? (size_t)left : n;
}

static int read_domid_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int d = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &d) != 1)
		d = -1;
	fclose(f);
	return d;
}

/* Publish our domid, wait for the peer's. */
static int rendezvous(const char *dir, const char *me, const char *other, int self)
{
	char path[512], tmp[520];
	FILE *f;
	int d;

	snprintf(path, sizeof(path), "%s/%s.domid", dir, me);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", self) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		perror("vchan_peer: rendezvous");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.domid", dir, other);
	for (int i = 0; i < 3000; i++) {
		if ((d = read_domid_file(path)) >= 0)
			return d;
		usleep(10000);
	}
	fprintf(stderr, "vchan_peer: no %s\n", path);
	return -1;
}

/* Our domid, from the relative store node libxenvchan uses too. */
static int own_domid(void)
{
	struct xs_handle *xs = xs_open(0);
	char *v;
	int d = -1;

	if (!xs)
		return -1;
	if ((v = xs_read(xs, XBT_NULL, "domid", NULL))) {
		d = atoi(v);
		free(v);
	}
	xs_close(xs);
	return d;
}

/* The stream role @role sends: seed per direction, as in main(). */
static uint64_t dir_seed(uint64_t seed, int server)
{
	return splitmix(seed ^ (server ? 1 : 2));
}

static int gen_or_check(int check, int server, uint64_t total, uint64_t seed)
{
	static uint8_t buf[CHUNK], expect[CHUNK];
	uint64_t pos = 0, s = dir_seed(seed, server);

	while (pos < total) {
		size_t n = total - pos < sizeof(buf) ? (size_t)(total - pos) : sizeof(buf);
		ssize_t r;

		if (check) {
			r = read(0, buf, n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "vchan_peer check: stream ends at %llu of %llu\n",
				        (unsigned long long)pos, (unsigned long long)total);
				return 1;
			}
			stream_fill(s, pos, expect, (size_t)r);
			if (memcmp(buf, expect, (size_t)r) != 0) {
				fprintf(stderr, "vchan_peer check: bad data near %llu\n",
				        (unsigned long long)pos);
				return 1;
			}
		} else {
			stream_fill(s, pos, buf, n);
			if (umx_fd_write_all(1, buf, n) < 0) {
				perror("vchan_peer gen");
				return 1;
			}
			r = (ssize_t)n;
		}
		pos += (uint64_t)r;
	}
	if (check) {
		ssize_t r = read(0, buf, 1);
		if (r > 0) {
			fprintf(stderr, "vchan_peer check: more than %llu bytes\n",
			        (unsigned long long)total);
			return 1;
		}
		fprintf(stderr, "vchan_peer check: %llu bytes intact\n", (unsigned long long)total);
	}
	return 0;
}

static int run_interop(int argc, char **argv)
{
	struct libxenvchan *v;
	int server, packet, self, peer, die, die_server, close_first;
	uint64_t total, seed, sent = 0, rcvd = 0, mism = 0;
	struct sizes ssz, rsz;
	size_t spend = 0, rpend = 0; /* size of the message in progress */
	/* Static: every early error return exits the program anyway. */
	static uint8_t sbuf[STREAM_MAX], rbuf[STREAM_MAX], expect[STREAM_MAX];
	char path[128];
	double t0;

	server = !strcmp(argv[1], "server");
	packet = !strcmp(argv[3], "packet");
	total = strtoull(argv[4], NULL, 0);
	seed = strtoull(argv[5], NULL, 0);
	die = argc > 6 && !strcmp(argv[6], "die");
	die_server = argc > 6 && !strcmp(argv[6], "die-server");
	close_first = argc > 6 && !strcmp(argv[6], "close");
	alarm(TIMEOUT_SECS);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((self = own_domid()) < 0) {
		perror("vchan_peer: cannot read own domid from the store");
		return 1;
	}
	peer = rendezvous(argv[2], server ? "server" : "client", server ? "client" : "server",
	                  self);
	if (peer < 0)
		return 1;
	snprintf(path, sizeof(path), "/local/domain/%d/data/vchan", server ? self : peer);
	if (!(v = open_vchan(server, peer, path, RING_SIZE)))
		return 1;
	if (die && !server) {
		printf("vchan_peer: client connected, dying without close\n");
		_exit(0);
	}
	if (die_server && server) {
		printf("vchan_peer: server sees the client, dying without close\n");
		_exit(0);
	}
	if (die || die_server) {
		/* The peer's death clears its live byte (unmap notify of its
		 * mapping, or of its share for the server) and signals. */
		while (libxenvchan_is_open(v))
			if (libxenvchan_wait(v) < 0) {
				perror("vchan_peer: libxenvchan_wait");
				return 1;
			}
		printf("vchan_peer: %s saw the %s die\n", argv[1], server ? "client" : "server");
		libxenvchan_close(v);
		return 0;
	}
	vp_set_blocking(v, 0);

	/* Direction seeds: server->client and client->server differ. */
	{
		uint64_t out_seed = dir_seed(seed, server);
		uint64_t in_seed = dir_seed(seed, !server);
		size_t max = packet ? PACKET_MAX : STREAM_MAX;
		ssz = (struct sizes){out_seed, max};
		rsz = (struct sizes){in_seed, max};
		t0 = umx_clock_s();
		while (sent < total || rcvd < total) {
			int progress = 0, n;

			if (sent < total) {
				next_message(&ssz, &spend, total - sent);
				stream_fill(out_seed, sent, sbuf, spend);
				n = packet ? libxenvchan_send(v, sbuf, spend)
				           : libxenvchan_write(v, sbuf, spend);
				if (n < 0) {
					fprintf(stderr, "vchan_peer: write failed at %llu\n",
					        (unsigned long long)sent);
					return 1;
				}
				if (n > 0) {
					sent += (uint64_t)n;
					spend -= (size_t)n;
					progress = 1;
				}
			}
			if (rcvd < total) {
				next_message(&rsz, &rpend, total - rcvd);
				n = packet ? libxenvchan_recv(v, rbuf, rpend)
				           : libxenvchan_read(v, rbuf, rpend);
				if (n < 0) {
					fprintf(stderr, "vchan_peer: read failed at %llu\n",
					        (unsigned long long)rcvd);
					return 1;
				}
				if (n > 0) {
					if (packet && (size_t)n != rpend) {
						fprintf(stderr,
						        "vchan_peer: packet of %d, want %zu\n", n,
						        rpend);
						return 1;
					}
					stream_fill(in_seed, rcvd, expect, (size_t)n);
					if (memcmp(expect, rbuf, (size_t)n) != 0)
						mism++;
					rcvd += (uint64_t)n;
					rpend -= (size_t)n;
					progress = 1;
				}
			}
			if (progress)
				continue;
			/* Both checks below also ask the peer for a notify. */
			if (rcvd < total && libxenvchan_data_ready(v) >= (packet ? (int)rpend : 1))
				continue;
			if (sent < total &&
			    libxenvchan_buffer_space(v) >= (packet ? (int)spend : 1))
				continue;
			if (!libxenvchan_is_open(v) && libxenvchan_data_ready(v) == 0) {
				fprintf(stderr,
				        "vchan_peer: peer closed early (sent %llu rcvd %llu)\n",
				        (unsigned long long)sent, (unsigned long long)rcvd);
				return 1;
			}
			if (libxenvchan_wait(v) < 0) {
				perror("vchan_peer: libxenvchan_wait");
				return 1;
			}
		}
	}
	{
		double dt = umx_clock_s() - t0;
		printf("vchan_peer: %s %s %llu bytes each way in %.2f s: %.1f MiB/s each way, "
		       "%llu bad chunks\n",
		       argv[1], argv[3], (unsigned long long)total, dt,
		       (double)total / 1048576.0 / (dt > 0 ? dt : 1e-9), (unsigned long long)mism);
	}
	if (server && !close_first) {
		/* The client closes first; we must see it. */
		while (libxenvchan_is_open(v))
			libxenvchan_wait(v);
	}
	libxenvchan_close(v);
	return mism ? 1 : 0;
}

/* ---- pipe: stdin/stdout through the vchan ------------------------------ */

static uint8_t inbuf[CHUNK], outbuf[CHUNK];

static int run_pipe(struct libxenvchan *v, long long want_in)
{
	size_t pend = 0, off = 0;
	long long got = 0;
	int in_open = 1, ring_size;

	vp_set_blocking(v, 0);
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
				fprintf(stderr, "vchan_peer: peer closed while we wrote\n");
				return 1;
			}
			off += (size_t)n;
			pend -= (size_t)n;
			progress |= n > 0;
		}
		n = libxenvchan_read(v, outbuf, sizeof(outbuf));
		if (n > 0) {
			if (umx_fd_write_all(1, outbuf, (size_t)n) < 0) {
				perror("vchan_peer: stdout");
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
		fprintf(stderr, "vchan_peer: received %lld of %lld bytes\n", got, want_in);
		return 1;
	}
	return 0;
}

/* ---- bench: the loops of bench/vchan_stream.c ------------------------- */

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
	fprintf(stderr, "usage: vchan_peer server|client DIR stream|packet BYTES SEED "
	                "[close|die|die-server]\n"
	                "       vchan_peer gen|check server|client BYTES SEED\n"
	                "       vchan_peer pipe server|client PEER_DOMID PATH RING [IN_BYTES]\n"
	                "       vchan_peer bench server|client PEER_DOMID PATH RING "
	                "stream|packet|pingpong SIZE SECS\n");
	return 2;
}

/* pipe and bench: an end given its peer and path. */
static int run_direct(int argc, char **argv)
{
	struct libxenvchan *v;
	int server = !strcmp(argv[2], "server"), peer = atoi(argv[3]);
	size_t ring = strtoul(argv[5], NULL, 0);

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
		vp_set_blocking(v, 1);
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

static int is_role(const char *s)
{
	return !strcmp(s, "server") || !strcmp(s, "client");
}

int main(int argc, char **argv)
{
	if (argc == 5 && (!strcmp(argv[1], "gen") || !strcmp(argv[1], "check")) && is_role(argv[2]))
		return gen_or_check(!strcmp(argv[1], "check"), !strcmp(argv[2], "server"),
		                    strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	if (argc >= 6 && (!strcmp(argv[1], "pipe") || !strcmp(argv[1], "bench")) &&
	    is_role(argv[2]))
		return run_direct(argc, argv);
	if (argc >= 6 && is_role(argv[1]))
		return run_interop(argc, argv);
	return usage();
}
