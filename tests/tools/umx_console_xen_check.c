/* SPDX-License-Identifier: MIT */
/*
 * umx_console_xen_check — umx's console backend serving a secondary console
 * (device/console/N) of another domain and checking text both ways; on real
 * Xen (tests/xen scenario 80-umx-console: dom0 against Linux's hvc_xen in
 * the domU) or on umxd (whatever umx_plat_open() picks).
 *
 *   umx_console_xen_check DOMID DEVID READY_NODE SEND EXPECT
 *
 * As the toolstack, add console DEVID of DOMID with us as its backend
 * (umx_console_toolstack_add: the frontend and backend directories); connect
 * once the frontend has published its ring; wait until the store node
 * READY_NODE exists (the other side has opened its end); send SEND and a
 * newline into the console; read what the domain writes until EXPECT has
 * arrived, printing it; then disconnect and remove the console's nodes.
 * Exit 0 when EXPECT arrived, 1 when it did not (or the console broke), 2 on
 * a usage or setup error. Every wait ends after WAIT_SECS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "umx/console.h"
#include "umx/platform.h"
#include "umx/xs.h"

#define WAIT_SECS 120
#define BUF_MAX   4096

static time_t deadline;

static int expired(const char *what)
{
	if (time(NULL) < deadline)
		return 0;
	fprintf(stderr, "umx_console_xen_check: timed out waiting for %s\n", what);
	return 1;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* All of @s, then a newline, into the console. */
static int send_line(umx_console *c, const char *s)
{
	char line[BUF_MAX];
	size_t off = 0, len = (size_t)snprintf(line, sizeof(line), "%s\n", s);

	if (len >= sizeof(line))
		return -E2BIG;
	while (off < len) {
		int r = umx_console_write(c, line + off, len - off);
		if (r < 0)
			return r;
		off += (size_t)r;
		if (off < len &&
		    (expired("room in the console ring") || umx_console_wait(c, 200) < 0))
			return -ETIMEDOUT;
	}
	return 0;
}

static int run(umx_plat *p, uint32_t domid, uint32_t devid, const char *ready, const char *send,
               const char *expect)
{
	umx_xs *xs = umx_plat_xs(p);
	umx_console *c = NULL;
	char buf[BUF_MAX], *v;
	size_t n = 0, len;
	int r;

	r = umx_console_toolstack_add(xs, domid, devid, umx_plat_domid(p));
	if (r < 0) {
		fprintf(stderr, "umx_console_xen_check: adding console %u of domain %u: %s\n",
		        devid, domid, strerror(-r));
		return 2;
	}
	while ((r = umx_console_back_open(p, domid, devid, &c)) == -EAGAIN) {
		if (expired("the frontend's ring"))
			return 1;
		usleep(50000);
	}
	if (r < 0) {
		fprintf(stderr, "umx_console_xen_check: connecting: %s\n", strerror(-r));
		return 1;
	}
	printf("connected to console %u of domain %u\n", devid, domid);
	fflush(stdout);
	while (umx_xs_read(xs, 0, ready, &v, &len) < 0) {
		if (expired(ready))
			goto fail;
		usleep(50000);
	}
	free(v);
	if ((r = send_line(c, send)) < 0) {
		fprintf(stderr, "umx_console_xen_check: sending: %s\n", strerror(-r));
		goto fail;
	}
	buf[0] = '\0';
	while (!strstr(buf, expect)) {
		r = umx_console_read(c, buf + n, sizeof(buf) - 1 - n);
		if (r < 0) {
			fprintf(stderr, "umx_console_xen_check: reading: %s (%s)\n", strerror(-r),
			        umx_console_broken(c) ? umx_console_broken(c) : "not broken");
			goto fail;
		}
		n += (size_t)r;
		buf[n] = '\0';
		if (n == sizeof(buf) - 1 || (r == 0 && expired("the domain's reply")))
			goto fail;
		if (r == 0 && (r = umx_console_wait(c, 200)) < 0 && r != -EPIPE) {
			fprintf(stderr, "umx_console_xen_check: waiting: %s\n", strerror(-r));
			goto fail;
		}
	}
	printf("received: %s", buf);
	if (buf[n - 1] != '\n')
		putchar('\n');
	umx_console_close(c);
	umx_console_toolstack_remove(xs, domid, devid, umx_plat_domid(p));
	return 0;
fail:
	fprintf(stderr, "umx_console_xen_check: got %zu bytes: \"%s\"\n", n, buf);
	umx_console_close(c);
	umx_console_toolstack_remove(xs, domid, devid, umx_plat_domid(p));
	return 1;
}

int main(int argc, char **argv)
{
	uint32_t domid, devid;
	umx_plat *p;
	int r;

	if (argc != 6 || parse_u32(argv[1], &domid) < 0 || parse_u32(argv[2], &devid) < 0 ||
	    devid == UMX_CONSOLE_PRIMARY || devid > UMX_CONSOLE_DEVID_MAX) {
		fprintf(stderr,
		        "usage: umx_console_xen_check DOMID DEVID(1..%u) READY_NODE SEND EXPECT\n",
		        UMX_CONSOLE_DEVID_MAX);
		return 2;
	}
	if ((r = umx_plat_open(NULL, &p)) < 0) {
		fprintf(stderr, "umx_console_xen_check: no platform: %s\n", strerror(-r));
		return 2;
	}
	deadline = time(NULL) + WAIT_SECS;
	r = run(p, domid, devid, argv[3], argv[4], argv[5]);
	umx_plat_close(p);
	return r;
}
