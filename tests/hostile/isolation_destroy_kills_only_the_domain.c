/* SPDX-License-Identifier: MIT */
/* umxd's destroy kills the domain's own process and nothing else. The
 * toolstack reports a domain's process, then tries to re-aim the domain at
 * an unrelated process of the same user (DOMAIN_SET_PID naming it, as the
 * control protocol once allowed); a destroy then kills the domain's process
 * (SIGKILL) and the unrelated process lives on. umxd holds a domain's
 * process by a pidfd of a descendant of its launcher, never by a number. */
#include <sys/syscall.h>

#include "isolation_util.h"

/* A process of ours that is not our descendant: its parent exits at once,
 * so it is re-parented. It ends itself after two minutes whatever happens. */
static pid_t unrelated_process(void)
{
	int p[2];
	pid_t mid, pid = 0;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		pid_t b = fork();
		if (b == 0) {
			alarm(120);
			for (;;)
				pause();
		}
		_exit(write(p[1], &b, sizeof(b)) == sizeof(b) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &pid, sizeof(pid)), sizeof(pid));
	close(p[0]);
	assert_int_equal(waitpid(mid, NULL, 0), mid);
	return pid;
}

static void test_destroy_kills_only_the_domain(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	pid_t dom, other, w = 0;
	int fd, other_fd, st = 0, r;
	bool other_alive;

	(void)state;
	other = unrelated_process();
	other_fd = (int)syscall(SYS_pidfd_open, other, 0);
	assert_true(other_fd >= 0);
	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_domain_create(d.ts, "target", 0, &domid, &fd), 0);
	dom = fork();
	assert_true(dom >= 0);
	if (dom == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	close(fd);
	assert_int_equal(umx_domain_set_pid(d.ts, domid, dom), 0);
	r = umx_domain_set_pid(d.ts, domid, other);
	fprintf(stderr, "re-aiming domain %u at unrelated pid %d: %s\n", domid, (int)other,
	        r ? strerror(-r) : "accepted");
	assert_int_equal(umx_domain_destroy(d.ts, domid), 0);
	/* The kill is sent before destroy answers: the process is dead (or
	 * dying) now, or it never will be. */
	for (int i = 0; i < 500 && (w = waitpid(dom, &st, WNOHANG)) == 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (w == 0) {
		kill(dom, SIGKILL);
		waitpid(dom, &st, 0);
	}
	/* Still there: signal 0 through our pidfd of it. */
	other_alive = syscall(SYS_pidfd_send_signal, other_fd, 0, NULL, 0) == 0;
	syscall(SYS_pidfd_send_signal, other_fd, SIGKILL, NULL, 0);
	close(other_fd);
	fprintf(stderr, "domain's process %s, unrelated process %s\n",
	        w == dom ? "killed" : "NOT killed", other_alive ? "alive" : "KILLED");
	assert_int_equal(w, dom);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(other_alive);
	umx_domain_exited(d.ts, domid, st);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_destroy_kills_only_the_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
