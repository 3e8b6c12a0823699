/* SPDX-License-Identifier: MIT */
/* The umx command's net subcommands: `umx net attach` writes a vif a
 * domain can connect with (handle printed, --mac honoured), `umx net list`
 * shows it connected with the switch's counters, the vif leaves the list
 * when its frontend dies (the switch removes it; `umx net detach` then
 * finds nothing), and bad arguments are refused. */
#include <stdio.h>
#include <sys/wait.h>

#include "umx_test.h"
#include "net_util.h"

struct ctx {
	int go[2], sent[2], done[2];
};

static int dom_front(void *arg)
{
	struct ctx *c = arg;
	uint8_t f[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x42, 0x88, 0xb5};
	umx_plat *p;
	umx_netfront *nf;
	char ch;

	CHILD_CHECK(read(c->go[0], &ch, 1) == 1);
	CHILD_CHECK_OK(umx_plat_open(NULL, &p));
	CHILD_CHECK_OK(umx_netfront_open(p, 3, 10000, &nf));
	CHILD_CHECK_OK(umx_netfront_send(nf, f, sizeof(f)));
	CHILD_CHECK(write(c->sent[1], "s", 1) == 1);
	CHILD_CHECK(read(c->done[0], &ch, 1) == 1);
	umx_netfront_close(nf);
	umx_plat_close(p);
	return 0;
}

/* Run `$UMX args`, capture stdout into @out; returns the exit status. */
static int umx_cmd(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[512], args[256];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "\"%s\" %s 2>/dev/null", getenv("UMX"), args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	out[0] = 0;
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
		n = strlen(out);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_net_cli(void **state)
{
	struct umx_test_daemon d;
	struct net_sw sw;
	struct ctx c;
	uint32_t sdom, fdom;
	pid_t spid, fpid;
	char out[4096], line[160];
	char ch;
	(void)state;

	if (!getenv("UMX")) {
		printf("UMX is not set (run through ctest)\n");
		exit(77);
	}
	assert_int_equal(pipe(c.go) | pipe(c.sent) | pipe(c.done), 0);
	net_switch_start(&d, &sw, &sdom, &spid);
	assert_int_equal(umx_test_domain_fork(&d, "front", dom_front, &c, &fdom, &fpid), 0);

	assert_int_equal(umx_cmd(out, sizeof(out),
	                         "net attach %u %u --mac 02:00:00:00:00:42 "
	                         "--handle 3",
	                         fdom, sdom),
	                 0);
	assert_string_equal(out, "3\n");
	assert_int_not_equal(
	        umx_cmd(out, sizeof(out), "net attach %u %u --mac nonsense", fdom, sdom), 0);
	assert_int_not_equal(umx_cmd(out, sizeof(out), "net attach %u %u", fdom, fdom), 0);
	assert_int_not_equal(umx_cmd(out, sizeof(out), "net frobnicate"), 0);

	assert_int_equal(write(c.go[1], "g", 1), 1);
	assert_int_equal(read(c.sent[0], &ch, 1), 1);
	/* The switch publishes its counters once a second. */
	snprintf(line, sizeof(line), "%-5u %-5u %-3s %-17s %-12s %10s", sdom, fdom, "3",
	         "02:00:00:00:00:42", "connected", "1");
	for (int i = 0; i < 40; i++) {
		assert_int_equal(umx_cmd(out, sizeof(out), "net list"), 0);
		if (strstr(out, line))
			break;
		usleep(100000);
	}
	printf("%s", out);
	assert_non_null(strstr(out, line));

	assert_int_equal(write(c.done[1], "d", 1), 1);
	assert_int_equal(umx_test_domain_reap(&d, fdom, fpid), 0);
	/* The frontend died: the switch releases the vif and removes its
	 * nodes by itself, so it leaves the list with no detach. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(umx_cmd(out, sizeof(out), "net list"), 0);
		if (!strstr(out, "02:00:00:00:00:42"))
			break;
		usleep(100000);
	}
	assert_null(strstr(out, "02:00:00:00:00:42"));
	/* So a detach finds nothing left to remove. */
	assert_int_not_equal(umx_cmd(out, sizeof(out), "net detach %u %u 3", fdom, sdom), 0);
	/* At most the port released when the frontend died, not connected. */
	{
		struct umx_net_port ports[UMX_NET_PORTS_MAX];
		int n = net_sw_stop(&sw, ports);
		assert_true(n == 0 || (n == 1 && !ports[0].connected));
	}
	net_switch_finish(&d, sdom, spid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_net_cli),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
