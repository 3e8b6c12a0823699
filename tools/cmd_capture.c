/* SPDX-License-Identifier: MIT */
/*
 * umx net capture: the frames a switch forwards, as pcap (libpcap, for
 * tcpdump and Wireshark) or one line per frame. The switch domain reports
 * each frame to umxd while a capture asks for its frames (UMX_TR_FRAME,
 * include/umx/internal/tracepoint.h); this is a trace of those records.
 *
 * A vif (vifFRONT.HANDLE, as Xen names it) is captured both ways: what its
 * frontend sent into the switch and what the switch queued for it. A
 * switch is captured once per frame, as each came in. Frames the switch
 * dropped (a port's queue full) or rejected (a malformed request) are
 * marked in the text output; pcap cannot mark a frame, so they are left
 * out of the file and counted on exit.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umx.h"
#include "umx/trace.h"
#include "umx/xs.h"

static volatile sig_atomic_t cap_stop;

static void on_signal(int sig)
{
	(void)sig;
	cap_stop = 1;
}

/* "vif5.0" or "5.0": front 5, handle 0. */
static bool parse_vif(const char *s, uint32_t *front, uint32_t *handle)
{
	char *end;
	unsigned long f, h;

	if (!strncmp(s, "vif", 3))
		s += 3;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	f = strtoul(s, &end, 10);
	if (errno || *end != '.' || f > 32751 || end[1] < '0' || end[1] > '9')
		return false;
	h = strtoul(end + 1, &end, 10);
	if (errno || *end || h > 0xffff)
		return false;
	*front = (uint32_t)f;
	*handle = (uint32_t)h;
	return true;
}

/* The backend domain of vif @front.@handle, from the frontend's nodes. */
static int vif_backend(umx_conn *ts, uint32_t front, uint32_t handle, uint32_t *back)
{
	char dir[96], *v;
	umx_xs *xs;
	int r = -ENOENT;

	if (tool_store_of(ts, &xs) < 0)
		return -ENODEV;
	snprintf(dir, sizeof(dir), "/local/domain/%u/device/vif/%u", front, handle);
	if ((v = tool_read_node(xs, dir, "backend-id"))) {
		char *end;
		unsigned long b = strtoul(v, &end, 10);
		if (*v && !*end && b <= 32751) {
			*back = (uint32_t)b;
			r = 0;
		}
		free(v);
	}
	umx_xs_close(xs);
	return r;
}

static void print_mac(const uint8_t *m)
{
	printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_frame(const struct umx_trace_rec *rec, const uint8_t *f, size_t caplen)
{
	time_t sec = (time_t)(rec->ns / 1000000000u);
	struct tm tm;
	char when[16];

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%06u vif%u.%u %s %u bytes", when, (unsigned)(rec->ns % 1000000000u / 1000u),
	       rec->peer, rec->a, rec->b == UMX_TRACE_FRAME_IN ? "in " : "out", rec->d);
	if (caplen >= 14) {
		printf(" ");
		print_mac(f + 6);
		printf(" > ");
		print_mac(f);
		printf(" ethertype 0x%04x", (unsigned)f[12] << 8 | f[13]);
	}
	if (rec->c & UMX_TRACE_FRAME_DROPPED)
		printf(" DROPPED");
	if (rec->c & UMX_TRACE_FRAME_REJECTED)
		printf(" REJECTED");
	putchar('\n');
}

static const char capture_usage[] =
        "usage: umx net capture SWITCH|vifFRONT.HANDLE [-w FILE.pcap] [-c COUNT]\n";

int cmd_net_capture(int argc, char **argv)
{
	static struct umx_trace_reader rd;
	struct umx_trace_filter f = {.mask = UMX_TRACE_FRAMES};
	const struct umx_trace_rec *rec;
	const char *target = NULL, *file = NULL;
	unsigned long long count = 0, seen = 0, marked = 0;
	uint32_t front = 0, handle = 0, back = 0;
	bool vif = false;
	pcap_t *pd = NULL;
	pcap_dumper_t *dump = NULL;
	umx_conn *ts = NULL;
	int r, ret = 1;

	rd.fd = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-w") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			char *end;
			errno = 0;
			count = strtoull(argv[++i], &end, 10);
			if (errno || *end || !*argv[i] || *argv[i] == '-' || !count) {
				fprintf(stderr, "umx net capture: -c '%s': not a count\n",
				        tool_show(argv[i]));
				return 2;
			}
		} else if (argv[i][0] == '-' || target) {
			fputs(capture_usage, stderr);
			return 2;
		} else {
			target = argv[i];
		}
	}
	if (!target) {
		fputs(capture_usage, stderr);
		return 2;
	}
	if (tool_connect(&ts) < 0)
		return 1;
	if (parse_vif(target, &front, &handle)) {
		vif = true;
		if ((r = vif_backend(ts, front, handle, &back)) < 0) {
			fprintf(stderr, "umx net capture: no vif%u.%u in the store (%s)\n", front,
			        handle, strerror(-r));
			goto out;
		}
	} else if (tool_domain(ts, "umx net capture", target, &back) < 0) {
		goto out;
	}
	/* Reports are stamped with the reporter's domid by umxd: only the
	 * switch's are taken, whatever another domain says. */
	f.ndomains = 1;
	f.domains[0] = back;
	if (file) {
		pd = pcap_open_dead(DLT_EN10MB, (int)(UMX_TRACE_REC_MAX - sizeof(*rec)));
		dump = pd ? pcap_dump_open(pd, file) : NULL;
		if (!dump) {
			fprintf(stderr, "umx net capture: %s: %s\n", tool_show(file),
			        pd ? pcap_geterr(pd) : "cannot open");
			goto out;
		}
	}
	r = umx_trace_open(ts, &f, &rd.fd);
	if (r < 0) {
		fprintf(stderr, "umx net capture: %s\n", strerror(-r));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "umx net capture: capturing %s%s of domain %u%s%s\n",
	        vif ? "vif " : "every frame", vif ? target : "", back, file ? " to " : "",
	        file ? tool_show(file) : "");
	while (!cap_stop && (r = umx_trace_next(&rd, 200, &rec)) != 0) {
		const uint8_t *frame;

		if (r == -ETIMEDOUT)
			continue;
		if (r < 0) {
			fprintf(stderr, "umx net capture: %s\n", strerror(-r));
			goto out;
		}
		if (rec->type == UMX_TR_LOST) {
			fprintf(stderr, "umx net capture: %u frames lost (too slow)\n", rec->a);
			continue;
		}
		if (rec->type != UMX_TR_FRAME || rec->domid != back)
			continue;
		frame = (const uint8_t *)(rec + 1);
		if (vif ? rec->peer != front || rec->a != handle : rec->b != UMX_TRACE_FRAME_IN)
			continue;
		if (dump && (rec->c & (UMX_TRACE_FRAME_DROPPED | UMX_TRACE_FRAME_REJECTED))) {
			marked++;
		} else if (dump) {
			struct pcap_pkthdr h = {0};
			h.ts.tv_sec = (time_t)(rec->ns / 1000000000u);
			h.ts.tv_usec = (suseconds_t)(rec->ns % 1000000000u / 1000u);
			h.caplen = rec->plen;
			h.len = rec->d > rec->plen ? rec->d : rec->plen;
			pcap_dump((u_char *)dump, &h, frame);
			/* Each frame is in the file once written: a capture
			 * killed mid-way leaves a file tcpdump reads whole. */
			pcap_dump_flush(dump);
		} else {
			print_frame(rec, frame, rec->plen);
		}
		if (count && ++seen >= count)
			break;
	}
	ret = 0;
out:
	if (marked)
		fprintf(stderr,
		        "umx net capture: %llu frames dropped or rejected by the switch, not in "
		        "%s (umx net capture without -w shows them)\n",
		        marked, tool_show(file));
	if (dump)
		pcap_dump_close(dump);
	if (pd)
		pcap_close(pd);
	if (rd.fd >= 0)
		close(rd.fd);
	umx_conn_close(ts);
	return ret;
}
