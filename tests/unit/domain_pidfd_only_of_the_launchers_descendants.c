/* SPDX-License-Identifier: MIT */
/* umxd learns a domain's process only as a pidfd of the launcher's own
 * descendant: a stranger's pidfd (our parent, ourselves) or a descriptor that
 * is no pidfd is refused, destroy kills only what it was given (also when it
 * comes first), and the domid stays taken until the process is really gone. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umx_test.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A child that pauses until killed, not holding @drop_fd (-1: none). */
static pid_t sleeper(int drop_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (drop_fd >= 0)
			close(drop_fd);
		for (;;)
			pause();
	}
	return pid;
}

static bool listed(struct umx_test_daemon *d, uint32_t domid, struct umx_ctl_domain_info *out)
{
	struct umx_ctl_domain_info info[16];
	int n = umx_domain_list(d->ts, 0, info, 16);
	for (int i = 0; i < n; i++)
		if (info[i].domid == domid) {
			if (out)
				*out = info[i];
			return true;
		}
	return false;
}

static void test_strangers_refused(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	int fd, pfd, efd;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_domain_create(d.ts, "s", 0, &domid, &fd), 0);
	/* Our parent (ctest or the shell) and we ourselves: not descendants. */
	pfd = pidfd_of(getppid());
	assert_true(pfd >= 0);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), -EPERM);
	close(pfd);
	pfd = pidfd_of(getpid());
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), -EPERM);
	close(pfd);
	/* A descriptor that is no pidfd. */
	efd = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, efd, 0), -EBADF);
	close(efd);
	/* Destroy then has nothing to signal, and we are still here. */
	assert_int_equal(umx_domain_destroy(d.ts, domid), 0);
	close(fd);
	assert_int_equal(kill(getppid(), 0), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_descendants_accepted_and_destroyed(void **state)
{
	struct umx_test_daemon d;
	struct umx_ctl_domain_info info;
	uint32_t domid;
	int fd, pfd, st, p[2];
	pid_t child, grandchild;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_domain_create(d.ts, "kid", 0, &domid, &fd), 0);
	child = sleeper(-1);
	pfd = pidfd_of(child);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, UMX_DOMAIN_F_NO_SANDBOX), 0);
	/* Once only: the process of a domain does not change. */
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), -EPERM);
	assert_true(listed(&d, domid, &info));
	assert_int_equal(info.pid, child); /* read from the pidfd, not told */
	assert_int_equal(info.flags, UMX_DOMAIN_F_NO_SANDBOX);
	assert_int_equal(umx_domain_destroy(d.ts, domid), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	umx_domain_exited(d.ts, domid, st);
	close(pfd);
	close(fd);

	/* Destroyed before its launcher handed the process over (a `umx
	 * destroy` racing `umx run`): the process is killed on arrival. */
	assert_int_equal(umx_domain_create(d.ts, "late", 0, &domid, &fd), 0);
	assert_int_equal(umx_domain_destroy(d.ts, domid), 0);
	child = sleeper(-1);
	pfd = pidfd_of(child);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	umx_domain_exited(d.ts, domid, st);
	close(pfd);
	close(fd);

	/* A grandchild is a descendant too. */
	assert_int_equal(umx_domain_create(d.ts, "grandkid", 0, &domid, &fd), 0);
	assert_int_equal(pipe(p), 0);
	child = fork();
	if (child == 0) {
		pid_t g = sleeper(-1);
		_exit(write(p[1], &g, sizeof(g)) == sizeof(g) ? (pause(), 0) : 1);
	}
	assert_int_equal(read(p[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	pfd = pidfd_of(grandchild);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), 0);
	assert_int_equal(umx_domain_destroy(d.ts, domid), 0);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &st, 0), child);
	umx_domain_exited(d.ts, domid, st);
	close(pfd);
	close(fd);
	close(p[0]);
	close(p[1]);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

static void test_domid_held_while_the_process_lives(void **state)
{
	struct umx_test_daemon d;
	uint32_t domid;
	int fd, pfd, st;
	pid_t child;
	(void)state;

	assert_int_equal(umx_test_daemon_start(&d), 0);
	assert_int_equal(umx_domain_create(d.ts, "lingers", 0, &domid, &fd), 0);
	child = sleeper(fd);
	pfd = pidfd_of(child);
	assert_int_equal(umx_domain_set_pidfd(d.ts, domid, pfd, 0), 0);
	/* The domain dies (its connection closes) and its launcher reports an
	 * exit, yet the process lives on: the record, and with it the domid
	 * (and the uid a sandbox derives from it), stays taken. */
	close(fd);
	assert_int_equal(umx_domain_exited(d.ts, domid, 0), 0);
	for (int i = 0; i < 20; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	{
		struct umx_ctl_domain_info info;
		assert_true(listed(&d, domid, &info));
		assert_int_equal(info.state, UMX_DOM_DEAD); /* dead, but not gone */
	}
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(umx_test_wait_no_domains(&d), 0);
	close(pfd);
	assert_int_equal(umx_test_daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_strangers_refused),
	        cmocka_unit_test(test_descendants_accepted_and_destroyed),
	        cmocka_unit_test(test_domid_held_while_the_process_lives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
