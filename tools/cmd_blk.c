/* SPDX-License-Identifier: MIT */
/*
 * umx blk attach|detach|list|serve|io — virtual block devices.
 *
 *   attach DOMID FILE [--backend DOMID] [--ro] [--sector-size 512|4096]
 *          [--devid N]                write the vbd's store nodes (what libxl
 *                                     writes); prints the devid
 *   detach DOMID DEVID [--backend DOMID]  remove them
 *   list                              vbds, states and counters
 *   serve [--name NAME] FILE...       open the FILEs, then run blkback as
 *                                     a sandboxed domain that serves the vbds
 *                                     attached on them (it inherits the open
 *                                     files: its view of the host is read-only)
 *   io DEVID [--queues N] info|read|write|verify|copy ...
 *                                     use a disk from inside the domain (on
 *                                     up to N queues: multi-queue-num-queues)
 * On real Xen (no umxd, /proc/xen/capabilities or UMX_PLATFORM=xen) the
 * store is xenstored's socket or /dev/xen/xenbus.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umx.h"
#include "umx/blk.h"
#include "umx/domain.h"

static const char usage_text[] =
        "usage: umx blk attach DOMID FILE [--backend DOMID] [--ro] [--sector-size 512|4096]\n"
        "                      [--devid N]\n"
        "       umx blk detach DOMID DEVID [--backend DOMID]\n"
        "       umx blk list\n"
        "       umx blk serve [--name NAME] FILE...   (opens FILEs, runs blkback as a\n"
        "                              sandboxed domain serving vbds attached on them)\n"
        "       umx blk io DEVID [--queues N] info\n"
        "       umx blk io DEVID read OFFSET LENGTH      (to stdout)\n"
        "       umx blk io DEVID write OFFSET            (stdin)\n"
        "       umx blk io DEVID verify OFFSET FILE      (the disk holds FILE there)\n"
        "       umx blk io DEVID copy FROM TO LENGTH\n"
        "  (io runs inside the frontend domain; offsets and lengths in bytes,\n"
        "   multiples of the disk's sector size; --queues asks for up to N rings,\n"
        "   as many as the backend offers)\n";

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "umx blk: '%s' is not a number\n", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int blk_attach(int argc, char **argv)
{
	uint32_t front, back = 0;
	uint64_t ss = 512, devid = 0;
	bool ro = false, have_devid = false;
	char path[PATH_MAX];
	umx_xs *xs;
	int r;

	if (argc < 3) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (tool_device_domain("umx blk", argv[1], &front) < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
			if (tool_device_domain("umx blk", argv[++i], &back) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--ro")) {
			ro = true;
		} else if (!strcmp(argv[i], "--sector-size") && i + 1 < argc) {
			if (parse_u64(argv[++i], &ss) < 0 || (ss != 512 && ss != 4096)) {
				fprintf(stderr, "umx blk: sector size is 512 or 4096\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--devid") && i + 1 < argc) {
			if (parse_u64(argv[++i], &devid) < 0 || devid > 0xfffffff)
				return 2;
			have_devid = true;
		} else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	/* The backend opens it by this name: make it absolute. */
	if (!realpath(argv[2], path)) {
		fprintf(stderr, "umx blk: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (tool_store_open("umx blk", &xs) < 0)
		return 1;
	r = umx_blk_attach(xs, front, back, have_devid ? (int)devid : -1, path, ro, (unsigned)ss);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx blk attach: %s\n", strerror(-r));
		return 1;
	}
	printf("%d\n", r);
	return 0;
}

static int blk_detach(int argc, char **argv)
{
	uint32_t front, back = 0;
	uint64_t devid;
	umx_xs *xs;
	int r;

	if ((argc != 3 && argc != 5) || tool_device_domain("umx blk", argv[1], &front) < 0 ||
	    parse_u64(argv[2], &devid) < 0 || devid > 0xfffffff ||
	    (argc == 5 && (strcmp(argv[3], "--backend") != 0 ||
	                   tool_device_domain("umx blk", argv[4], &back) < 0))) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (tool_store_open("umx blk", &xs) < 0)
		return 1;
	r = umx_blk_detach(xs, front, back, (unsigned)devid);
	umx_xs_close(xs);
	if (r < 0) {
		fprintf(stderr, "umx blk detach: vbd %llu of domain %u on domain %u: %s\n",
		        (unsigned long long)devid, front, back,
		        r == -ENOENT ? "no such vbd" : strerror(-r));
		return 1;
	}
	return 0;
}

/* One row of `umx blk list`. */
static void blk_row(void *ctx, umx_xs *xs, const char *back, const char *front, const char *devid,
                    const char *dev)
{
	static const char *const keys[] = {"reads", "writes", "flushes", "discards", "errors"};
	char *params = tool_read_node(xs, dev, "params"), *mode = tool_read_node(xs, dev, "mode");
	char *state = tool_read_node(xs, dev, "state"),
	     *stats = tool_read_node(xs, dev, "statistics");
	char f[5][24];

	(void)ctx;
	for (int x = 0; x < 5; x++)
		tool_stat_field(stats, keys[x], f[x], sizeof(f[x]));
	printf("%-5s %-5s %-6s %-4s %-12s %10s %10s %8s %8s %7s  %s\n", back, front, devid,
	       mode ? mode : "-", tool_state_name(state), f[0], f[1], f[2], f[3], f[4],
	       params ? params : "-");
	free(params);
	free(mode);
	free(state);
	free(stats);
}

static int blk_list(void)
{
	umx_xs *xs;

	if (tool_store_open("umx blk", &xs) < 0)
		return 1;
	printf("%-5s %-5s %-6s %-4s %-12s %10s %10s %8s %8s %7s  %s\n", "BACK", "FRONT", "DEVID",
	       "MODE", "STATE", "READS", "WRITES", "FLUSHES", "DISCARDS", "ERRORS", "FILE");
	tool_list_backends(xs, "vbd", blk_row, NULL);
	umx_xs_close(xs);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Outside umx's domains: open the files as the user, then become a
 * sandboxed domain through `umx run` that inherits them (its own view of
 * the host holds no writable file). */
static int serve_launch(int argc, char **argv, const char *name)
{
	char **av = calloc((size_t)argc * 2 + 12, sizeof(*av));
	char spec[UMX_BLK_VBDS_MAX][PATH_MAX + 16], self[PATH_MAX];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int n = 0, nf = 0;

	if (!av || sl <= 0) {
		free(av);
		return 1;
	}
	self[sl] = 0;
	av[n++] = "umx";
	av[n++] = "run";
	av[n++] = "--name";
	av[n++] = (char *)name;
	av[n++] = "--";
	av[n++] = self;
	av[n++] = "blk";
	av[n++] = "serve";
	for (int i = 1; i < argc; i++) {
		char path[PATH_MAX];
		int fd;

		if (!strcmp(argv[i], "--name")) {
			i++;
			continue;
		}
		if (nf == (int)UMX_BLK_VBDS_MAX || !realpath(argv[i], path)) {
			fprintf(stderr, "umx blk serve: %s: %s\n", argv[i],
			        nf == (int)UMX_BLK_VBDS_MAX ? "too many files" : strerror(errno));
			free(av);
			return 1;
		}
		fd = open(path, O_RDWR);
		if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
			fd = open(path, O_RDONLY); /* then it serves read-only vbds only */
		if (fd < 0) {
			fprintf(stderr, "umx blk serve: %s: %s\n", path, strerror(errno));
			free(av);
			return 1;
		}
		snprintf(spec[nf], sizeof(spec[nf]), "%d=%s", fd, path);
		av[n++] = "--fd";
		av[n++] = spec[nf++];
	}
	av[n] = NULL;
	execv(self, av);
	fprintf(stderr, "umx blk serve: cannot run umx: %s\n", strerror(errno));
	free(av);
	return 1;
}

static int blk_serve(int argc, char **argv)
{
	struct umx_blk_vbd v[UMX_BLK_VBDS_MAX];
	const char *name = "blkback";
	umx_plat *p;
	umx_blkback *bb;
	int r, n;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
	if (!getenv(UMX_DOMAIN_FD_ENV) && !tool_on_xen())
		return serve_launch(argc, argv, name);
	if ((r = umx_plat_open(NULL, &p)) < 0 || (r = umx_blkback_open(p, &bb)) < 0) {
		fprintf(stderr, "umx blk serve: %s\n", strerror(-r));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char *end;
		long fd;

		if (!strcmp(argv[i], "--name")) {
			i++;
		} else if (!strcmp(argv[i], "--fd") && i + 1 < argc) {
			fd = strtol(argv[++i], &end, 10);
			if (*end != '=' || fd < 0 || fd > INT_MAX ||
			    (r = umx_blkback_provide(bb, end + 1, (int)fd)) < 0) {
				fprintf(stderr, "umx blk serve: --fd %s: %s\n", argv[i],
				        *end == '=' ? strerror(-r) : "want FD=PATH");
				return 1;
			}
			close((int)fd); /* provided: the backend holds its own copy */
		} else if (argv[i][0] == '/') {
			/* On Xen (dom0) the backend opens files by name itself. */
		} else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "umx blk serve: domain %u serving backend/vbd\n", umx_plat_domid(p));
	r = umx_blkback_run(bb, &stop);
	n = umx_blkback_vbds(bb, v, UMX_BLK_VBDS_MAX);
	for (int i = 0; i < n && i < (int)UMX_BLK_VBDS_MAX; i++)
		fprintf(stderr,
		        "umx blk serve: vbd dom%u/%u %s reads %llu writes %llu errors %llu%s%s\n",
		        v[i].front_domid, v[i].devid, v[i].params,
		        (unsigned long long)v[i].st.reads, (unsigned long long)v[i].st.writes,
		        (unsigned long long)v[i].st.errors, v[i].reason[0] ? " disconnected: " : "",
		        v[i].reason);
	umx_blkback_close(bb);
	umx_plat_close(p);
	return r < 0 ? 1 : 0;
}

/* ---- io: a disk from inside the frontend domain ------------------------------- */

#define IO_CHUNK (1u << 20)

static int io_check(const struct umx_blk_info *in, uint64_t off, uint64_t len)
{
	if (off % in->sector_size || len % in->sector_size || len > (in->sectors << 9) ||
	    off > (in->sectors << 9) - len) {
		fprintf(stderr,
		        "umx blk io: %llu+%llu: not whole %u-byte sectors within the "
		        "disk (%llu bytes)\n",
		        (unsigned long long)off, (unsigned long long)len, in->sector_size,
		        (unsigned long long)in->sectors << 9);
		return -EINVAL;
	}
	return 0;
}

static int io_read(umx_blkfront *bf, const struct umx_blk_info *in, uint64_t off, uint64_t len)
{
	static uint8_t buf[IO_CHUNK];
	int r;

	if ((r = io_check(in, off, len)) < 0)
		return r;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < IO_CHUNK ? (size_t)(len - done) : IO_CHUNK;
		if ((r = umx_blkfront_read(bf, (off + done) >> 9, buf, n)) < 0)
			return r;
		if (fwrite(buf, 1, n, stdout) != n)
			return -EIO;
		done += n;
	}
	return fflush(stdout) ? -EIO : 0;
}

/* stdin to the disk at @off; a last partial sector is merged with what the
 * disk holds there. */
static int io_write(umx_blkfront *bf, const struct umx_blk_info *in, uint64_t off)
{
	static uint8_t buf[IO_CHUNK];
	uint64_t done = 0;
	int r;

	if ((r = io_check(in, off, 0)) < 0)
		return r;
	for (;;) {
		size_t n = fread(buf, 1, IO_CHUNK, stdin);
		size_t whole = n - n % in->sector_size;
		if (n == 0)
			break;
		if (whole < n) {
			/* The tail: read the sector, overlay, write it whole. */
			uint8_t sec[UMX_PAGE_SIZE];
			if ((r = io_check(in, off + done + whole, in->sector_size)) < 0 ||
			    (r = umx_blkfront_read(bf, (off + done + whole) >> 9, sec,
			                           in->sector_size)) < 0)
				return r;
			memcpy(buf + n, sec + (n - whole), in->sector_size - (n - whole));
			n = whole + in->sector_size;
		}
		if ((r = io_check(in, off + done, n)) < 0 ||
		    (r = umx_blkfront_write(bf, (off + done) >> 9, buf, n)) < 0)
			return r;
		done += n;
		if (whole < IO_CHUNK)
			break;
	}
	if (in->flush && (r = umx_blkfront_flush(bf)) < 0)
		return r;
	fprintf(stderr, "umx blk io: wrote %llu bytes at %llu\n", (unsigned long long)done,
	        (unsigned long long)off);
	return 0;
}

static int io_verify(umx_blkfront *bf, const struct umx_blk_info *in, uint64_t off,
                     const char *file)
{
	static uint8_t want[IO_CHUNK], got[IO_CHUNK];
	FILE *f = fopen(file, "rb");
	uint64_t done = 0;
	int r = 0;

	if (!f) {
		fprintf(stderr, "umx blk io: %s: %s\n", file, strerror(errno));
		return -errno;
	}
	for (;;) {
		size_t n = fread(want, 1, IO_CHUNK, f), whole;
		if (n == 0)
			break;
		whole = (n + in->sector_size - 1) / in->sector_size * in->sector_size;
		if ((r = io_check(in, off + done, whole)) < 0 ||
		    (r = umx_blkfront_read(bf, (off + done) >> 9, got, whole)) < 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (got[i] != want[i]) {
				fprintf(stderr, "umx blk io: differs at byte %llu\n",
				        (unsigned long long)off + done + i);
				r = -EILSEQ;
				goto out;
			}
		done += n;
	}
out:
	fclose(f);
	if (r == 0)
		fprintf(stderr, "umx blk io: %llu bytes at %llu match %s\n",
		        (unsigned long long)done, (unsigned long long)off, file);
	return r;
}

static int io_copy(umx_blkfront *bf, const struct umx_blk_info *in, uint64_t from, uint64_t to,
                   uint64_t len)
{
	static uint8_t buf[IO_CHUNK];
	int r;

	if ((r = io_check(in, from, len)) < 0 || (r = io_check(in, to, len)) < 0)
		return r;
	/* Backwards when the ranges overlap with the target after the source. */
	bool back = to > from && to < from + len;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < IO_CHUNK ? (size_t)(len - done) : IO_CHUNK;
		uint64_t at = back ? len - done - n : done;
		if ((r = umx_blkfront_read(bf, (from + at) >> 9, buf, n)) < 0 ||
		    (r = umx_blkfront_write(bf, (to + at) >> 9, buf, n)) < 0)
			return r;
		done += n;
	}
	return in->flush ? umx_blkfront_flush(bf) : 0;
}

static int blk_io(int argc, char **argv)
{
	struct umx_blk_info in;
	struct umx_blkfront_opts o = {0};
	uint64_t devid, a = 0, b = 0, c = 0, nq = 1;
	umx_plat *p;
	umx_blkfront *bf;
	const char *op;
	int r;

	if (argc < 3 || parse_u64(argv[1], &devid) < 0 || devid > 0xfffffff) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[2], "--queues")) {
		if (argc < 5 || parse_u64(argv[3], &nq) < 0 || nq == 0 || nq > UMX_BLK_QUEUES_MAX) {
			fprintf(stderr, "umx blk io: --queues takes 1 .. %u\n", UMX_BLK_QUEUES_MAX);
			return 2;
		}
		o.queues = (uint32_t)nq;
		argv += 2;
		argc -= 2;
	}
	op = argv[2];
	if ((!strcmp(op, "info") && argc != 3) ||
	    (!strcmp(op, "read") &&
	     (argc != 5 || parse_u64(argv[3], &a) < 0 || parse_u64(argv[4], &b) < 0)) ||
	    (!strcmp(op, "write") && (argc != 4 || parse_u64(argv[3], &a) < 0)) ||
	    (!strcmp(op, "verify") && (argc != 5 || parse_u64(argv[3], &a) < 0)) ||
	    (!strcmp(op, "copy") && (argc != 6 || parse_u64(argv[3], &a) < 0 ||
	                             parse_u64(argv[4], &b) < 0 || parse_u64(argv[5], &c) < 0)) ||
	    (strcmp(op, "info") != 0 && strcmp(op, "read") != 0 && strcmp(op, "write") != 0 &&
	     strcmp(op, "verify") != 0 && strcmp(op, "copy") != 0)) {
		fputs(usage_text, stderr);
		return 2;
	}
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx blk io: %s\n", strerror(-r));
		return 1;
	}
	if ((r = umx_blkfront_open(p, (unsigned)devid, &o, 10000, &bf)) < 0) {
		fprintf(stderr, "umx blk io: vbd %llu: %s\n", (unsigned long long)devid,
		        strerror(-r));
		umx_plat_close(p);
		return 1;
	}
	umx_blkfront_info(bf, &in);
	if (!strcmp(op, "info")) {
		printf("sectors %llu\nbytes %llu\nsector-size %u\nphysical-sector-size %u\n"
		       "readonly %d\nflush %d\ndiscard %d\npersistent %d\nring-page-order %u\n"
		       "queues %u\nmax-segments %u\n",
		       (unsigned long long)in.sectors, (unsigned long long)in.sectors << 9,
		       in.sector_size, in.physical_sector_size, in.readonly, in.flush, in.discard,
		       in.persistent, in.ring_order, in.queues, in.max_segs);
		r = 0;
	} else if (!strcmp(op, "read")) {
		r = io_read(bf, &in, a, b);
	} else if (!strcmp(op, "write")) {
		r = io_write(bf, &in, a);
	} else if (!strcmp(op, "verify")) {
		r = io_verify(bf, &in, a, argv[4]);
	} else {
		r = io_copy(bf, &in, a, b, c);
	}
	if (r < 0 && r != -EINVAL && r != -EILSEQ)
		fprintf(stderr, "umx blk io: %s%s%s\n", strerror(-r),
		        umx_blkfront_broken(bf) ? ": " : "",
		        umx_blkfront_broken(bf) ? umx_blkfront_broken(bf) : "");
	umx_blkfront_close(bf);
	umx_plat_close(p);
	return r < 0 ? 1 : 0;
}

int cmd_blk(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "attach"))
		return blk_attach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return blk_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return blk_list();
	if (!strcmp(argv[1], "serve"))
		return blk_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "io"))
		return blk_io(argc - 1, argv + 1);
	fputs(usage_text, stderr);
	return 2;
}
