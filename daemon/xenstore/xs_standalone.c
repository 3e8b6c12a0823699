/* SPDX-License-Identifier: MIT */
/* The store served alone on a socket (umxd --xenstore-only, benchmarks). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "umx/log.h"
#include "xs_engine.h"

static void on_signal(struct umxd_io *io, uint32_t events, void *ctx)
{
	struct signalfd_siginfo si;
	(void)events;
	if (read(umxd_io_fd(io), &si, sizeof(si)) > 0)
		umxd_loop_stop(ctx);
}

int umxd_xs_standalone_main(int argc, char **argv)
{
	struct umxd_loop *loop = NULL;
	struct umxd_xs *xs = NULL;
	struct umxd_io *sio = NULL;
	sigset_t set;
	int sfd = -1, rc = 1, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SOCKET [--domain ID:NAME]...\n", argc ? argv[0] : "xs");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	err = umxd_loop_new(&loop);
	if (!err)
		err = umxd_xs_new(loop, argv[1], NULL, &xs);
	if (err) {
		umx_err("xenstore: cannot serve %s: %s", argv[1], strerror(-err));
		goto out;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		char *colon;
		unsigned long id = strtoul(argv[i + 1], &colon, 10);
		if (strcmp(argv[i], "--domain") != 0 || *colon != ':' ||
		    umxd_xs_domain_introduce(xs, (unsigned)id, colon + 1)) {
			umx_err("xenstore: bad argument %s %s", argv[i], argv[i + 1]);
			goto out;
		}
	}
	sio = sfd >= 0 ? umxd_io_add(loop, sfd, EPOLLIN, on_signal, loop) : NULL;
	if (!sio)
		goto out;
	rc = umxd_loop_run(loop) ? 1 : 0;
out:
	if (sio)
		umxd_io_del(sio);
	umxd_xs_free(xs);
	umxd_loop_free(loop);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
