/* SPDX-License-Identifier: MIT */
/* umx net capture: a domain sends three known frames (60, 1514 and a
 * 6000-byte 3-slot chain) through the switch while three captures run: of
 * the switch to a pcap file, of the domain's vif to another, and of the
 * switch as text. Debian's tcpdump reads both files back (`tcpdump -r
 * -xx`) and every frame matches what was sent, byte for byte, in order;
 * the text names the vif, direction and length of each. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_util.h"
#include "umx/net.h"
#include "umx/platform.h"
#include "umx_test.h"

#define NFRAMES 3
static const size_t sizes[NFRAMES] = {60, 1514, 6000};
static uint8_t frames[NFRAMES][6000];

struct ctx {
	int ready[2], go[2], stop[2];
};

static void make_frames(void)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x0a};
	for (int k = 0; k < NFRAMES; k++) {
		memset(frames[k], 0xff, 6); /* broadcast */
		memcpy(frames[k] + 6, src, 6);
		net_put16(frames[k] + 12, 0x88b5); /* local experimental */
		for (size_t i = 14; i < sizes[k]; i++)
			frames[k][i] = (uint8_t)(i * 31 + k * 7 + (i >> 8));
	}
}

static int dom_a(void *arg)
{
	struct ctx *c = arg;
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 0, 10000, &nf));
	CHILD_CHECK(umx_netfront_link_up(nf));
	CHILD_CHECK(write(c->ready[1], "r", 1) == 1);
	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_netfront_send(nf, frames[0], sizes[0]));
	CHILD_CHECK_OK(umx_netfront_send(nf, frames[1], sizes[1]));
	struct iovec iov[3] = {
	        {frames[2], 2000}, {frames[2] + 2000, 2000}, {frames[2] + 4000, 2000}};
	CHILD_CHECK_OK(umx_netfront_sendv(nf, iov, 3));
	/* Kept until the captures have every frame. */
	CHILD_CHECK(read(c->stop[0], &ch, 1) >= 0);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

/* `umx net capture ARGS...` with stdout to @out (or /dev/null); returns
 * once it says it is capturing. */
static pid_t capture_start(const char *out, char *const *args)
{
	int err[2];
	char line[256];
	ssize_t n = 0;
	pid_t pid;

	if (pipe(err) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		             0644);
		char *argv[12] = {"umx", "net", "capture"};
		int i = 3;
		for (; args[i - 3] && i < 11; i++)
			argv[i] = args[i - 3];
		argv[i] = NULL;
		dup2(o, 1);
		dup2(err[1], 2);
		const char *umx = getenv("UMX");
		if (umx)
			execv(umx, argv);
		_exit(127);
	}
	close(err[1]);
	/* The first line on stderr: "capturing ..." once the trace is open. */
	while (n < (ssize_t)sizeof(line) - 1) {
		ssize_t r = read(err[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	close(err[0]);
	if (!strstr(line, "capturing")) {
		fprintf(stderr, "capture did not start: %s\n", line);
		return -1;
	}
	return pid;
}

/* The frames of `tcpdump -r @file -xx`, each compared with frames[]. */
static int check_pcap(const char *file)
{
	char cmd[512], line[512];
	static uint8_t got[NFRAMES + 1][8192];
	size_t len[NFRAMES + 1] = {0};
	int k = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tcpdump -r '%s' -xx -n 2>/dev/null", file);
	if (!(f = popen(cmd, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p;
		if (line[0] != '\t') {
			if (++k > NFRAMES)
				break;
			continue;
		}
		if (k < 0 || !(p = strstr(line, ":  ")))
			continue;
		p += 3;
		/* Groups of hex digits, one space apart; two end them. */
		for (;;) {
			while (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
				unsigned v;
				sscanf(p, "%2x", &v);
				if (len[k] < sizeof(got[k]))
					got[k][len[k]++] = (uint8_t)v;
				p += 2;
			}
			if (p[0] == ' ' && isxdigit((unsigned char)p[1]))
				p++;
			else
				break;
		}
	}
	if (pclose(f) != 0) {
		fprintf(stderr, "%s: tcpdump failed\n", file);
		return -1;
	}
	if (k + 1 != NFRAMES) {
		fprintf(stderr, "%s: %d frames, want %d\n", file, k + 1, NFRAMES);
		return -1;
	}
	for (int i = 0; i < NFRAMES; i++) {
		if (len[i] != sizes[i] || memcmp(got[i], frames[i], sizes[i]) != 0) {
			fprintf(stderr, "%s: frame %d differs (%zu bytes, want %zu)\n", file, i,
			        len[i], sizes[i]);
			return -1;
		}
	}
	return 0;
}

static void capture_known_frames(void **state)
{
	struct umx_test_daemon d;
	struct net_sw sw;
	struct umx_net_port ports[4];
	struct ctx c;
	char dir[] = "/tmp/umx-capture-XXXXXX", sw_pcap[64], vif_pcap[64], text[64], sdom_s[16],
	     vif_s[32], count[] = "3", ch;
	uint32_t sdom, adom;
	pid_t spid, apid, cap[3];
	int st;
	FILE *f;

	(void)state;
	if (system("tcpdump --version >/dev/null 2>&1") != 0) {
		printf("SKIP: tcpdump not installed (make deps)\n");
		exit(77);
	}
	make_frames();
	assert_non_null(mkdtemp(dir));
	/* tcpdump, as root, reads the files as its own user. */
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(sw_pcap, sizeof(sw_pcap), "%s/switch.pcap", dir);
	snprintf(vif_pcap, sizeof(vif_pcap), "%s/vif.pcap", dir);
	snprintf(text, sizeof(text), "%s/switch.txt", dir);
	assert_int_equal(pipe(c.ready) | pipe(c.go) | pipe(c.stop), 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "a", dom_a, &c, &adom, &apid), 0);
	assert_int_equal(net_attach(adom, sdom, 0x0a), 0);
	assert_int_equal(read(c.ready[0], &ch, 1), 1);

	snprintf(sdom_s, sizeof(sdom_s), "%u", sdom);
	snprintf(vif_s, sizeof(vif_s), "vif%u.0", adom);
	cap[0] = capture_start(NULL, (char *[]){sdom_s, "-w", sw_pcap, "-c", count, NULL});
	cap[1] = capture_start(NULL, (char *[]){vif_s, "-w", vif_pcap, "-c", count, NULL});
	cap[2] = capture_start(text, (char *[]){"switch", "-c", count, NULL});
	assert_true(cap[0] > 0 && cap[1] > 0 && cap[2] > 0);
	assert_int_equal(write(c.go[1], "g", 1), 1);
	/* Each capture ends after its third frame; one that misses a frame
	 * would wait for ever: after 60 s they are ended and the test fails. */
	for (int i = 0, tries = 0; i < 3;) {
		pid_t w = waitpid(cap[i], &st, WNOHANG);
		if (w == 0 && ++tries < 600) {
			usleep(100000);
			continue;
		}
		if (w == 0) {
			for (int j = i; j < 3; j++)
				kill(cap[j], SIGKILL);
			(void)write(c.stop[1], "s", 1);
			fail_msg("capture %d still waiting for frames after 60 s", i);
		}
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		i++;
	}
	assert_int_equal(write(c.stop[1], "s", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, adom, apid), 0);

	assert_int_equal(check_pcap(sw_pcap), 0);
	assert_int_equal(check_pcap(vif_pcap), 0);
	assert_non_null(f = fopen(text, "r"));
	for (int i = 0; i < NFRAMES; i++) {
		char line[256], want[64];
		assert_non_null(fgets(line, sizeof(line), f));
		snprintf(want, sizeof(want), " vif%u.0 in  %zu bytes 02:00:00:00:00:0a > ", adom,
		         sizes[i]);
		if (!strstr(line, want))
			fail_msg("text line %d: %s (want %s)", i, line, want);
		assert_non_null(strstr(line, "ethertype 0x88b5"));
	}
	fclose(f);

	assert_true(net_sw_stop(&sw, ports) >= 1);
	net_switch_finish(&d, sdom, spid);
	unlink(sw_pcap);
	unlink(vif_pcap);
	unlink(text);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(capture_known_frames)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
