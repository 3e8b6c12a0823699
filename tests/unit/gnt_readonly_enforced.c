/* SPDX-License-Identifier: MIT */
/* A read-only map is PROT_READ through a read-only descriptor: writing
 * faults and mprotect cannot make it writable; a GTF_readonly ref cannot be
 * mapped writable. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "gnt_util.h"
#include "umx_test.h"

/* 0: the write faulted (SIGSEGV/SIGBUS) in a child; -1 otherwise. */
static int write_faults(volatile char *addr)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* cmocka catches SIGSEGV; we want to die of it. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		addr[0] = 'X';
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) && (WTERMSIG(st) == SIGSEGV || WTERMSIG(st) == SIGBUS) ? 0 : -1;
}

static int mapper(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg;
	umx_gnt_map *m, *m2;
	int16_t st;
	umx_conn *c;
	umx_gnt *g;
	char *va;

	gnt_mapper_start(p, &c, &g, &msg);
	/* refs[0]: granted read-only; refs[1]: granted writable. */
	CHILD_CHECK(umx_gnt_map_refs(g, msg.granter, 1, &msg.refs[0], 0, NULL, &st, &m) == -EACCES);
	CHILD_CHECK(st == -8 /* GNTST_permission_denied */);
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, &msg.refs[0], UMX_GNT_MAP_READONLY, NULL,
	                                NULL, &m));
	va = umx_gnt_map_addr(m);
	CHILD_CHECK(strcmp(va, "ro data") == 0);
	CHILD_CHECK_OK(write_faults(va));
	CHILD_CHECK(mprotect(va, UMX_PAGE_SIZE, PROT_READ | PROT_WRITE) !=
	            0); /* the descriptor is O_RDONLY: must be refused */
	/* A writable grant mapped read-only is read-only too. */
	CHILD_CHECK_OK(umx_gnt_map_refs(g, msg.granter, 1, &msg.refs[1], UMX_GNT_MAP_READONLY, NULL,
	                                NULL, &m2));
	CHILD_CHECK_OK(write_faults(umx_gnt_map_addr(m2)));
	CHILD_CHECK(mprotect(umx_gnt_map_addr(m2), UMX_PAGE_SIZE, PROT_READ | PROT_WRITE) != 0);
	CHILD_CHECK(strcmp(va, "ro data") == 0);
	umx_gnt_unmap(g, m);
	umx_gnt_unmap(g, m2);
	CHILD_CHECK_OK(gnt_ack(p->m2g[1], 1));
	return gnt_done(c, g);
}

static int granter(void *arg)
{
	struct gnt_pipes *p = arg;
	struct gnt_refs_msg msg = {0};
	umx_gnt_share *ro, *rw;
	umx_conn *c;
	umx_gnt *g;

	CHILD_CHECK_OK(gnt_open(&c, &g));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, UMX_GNT_SHARE_READONLY, &ro));
	CHILD_CHECK_OK(umx_gnt_share_pages(g, p->peer, 1, 0, &rw));
	strcpy(umx_gnt_share_addr(ro), "ro data");
	msg.granter = umx_conn_domid(c);
	msg.count = 2;
	msg.refs[0] = umx_gnt_share_ref(ro, 0);
	msg.refs[1] = umx_gnt_share_ref(rw, 0);
	CHILD_CHECK_OK(gnt_send_refs(p, &msg));
	CHILD_CHECK(strcmp(umx_gnt_share_addr(ro), "ro data") == 0);
	CHILD_CHECK(((char *)umx_gnt_share_addr(rw))[0] == 0);
	CHILD_CHECK(umx_gnt_end_access(g, ro) == 0);
	CHILD_CHECK(umx_gnt_end_access(g, rw) == 0);
	return gnt_done(c, g);
}

static void test_readonly_enforced(void **state)
{
	(void)state;
	gnt_run_mapper_granter(mapper, granter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_readonly_enforced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
