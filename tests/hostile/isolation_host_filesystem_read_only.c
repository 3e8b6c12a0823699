/* SPDX-License-Identifier: MIT */
/* A domain cannot write the host's files: in a directory of the test's
 * (outside /tmp, outside any bind), even one everybody may write,
 * creating, appending, truncating, chmod, rename, mkdir and unlink all
 * fail with EROFS; $UMX_DIR (under /var/tmp) is empty or absent. It can
 * read the file.
 * What it writes to /tmp stays in its private /tmp. The directory and the
 * file are unchanged afterwards, and so is the victim. */
#include <limits.h>
#include <sys/stat.h>

#include "isolation_util.h"

#define CONTENT "host file, not for domains\n"

static char dir[PATH_MAX], file[PATH_MAX + 16], tmp_file[64];

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX + 300];

	(void)state;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) < 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	unlink(tmp_file);
	return 0;
}

static void test_host_filesystem_read_only(void **state)
{
	char rel[] = "isolation-fs-XXXXXX", extra[3 * PATH_MAX], a[512], buf[64];
	struct dirent *e;
	struct iso t;
	DIR *d;
	int fd, n = 0;
	ssize_t len;

	(void)state;
	/* The test's working directory is in the build tree, on the host's
	 * filesystem, which a domain sees read-only. The directory and the file
	 * are writable by everyone: only the read-only mount stops a domain
	 * (whatever uid it runs as), so the refusal is EROFS. */
	assert_non_null(mkdtemp(rel));
	assert_non_null(realpath(rel, dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(file, sizeof(file), "%s/host-file", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	assert_int_equal(write(fd, CONTENT, strlen(CONTENT)), (ssize_t)strlen(CONTENT));
	close(fd);
	snprintf(tmp_file, sizeof(tmp_file), "/tmp/umx-attacker-%d", (int)getpid());

	iso_begin(&t, "write-host-fs", ISO_DIR_OUTSIDE_TMP);
	snprintf(extra, sizeof(extra), "host_dir=%s host_file=%s tag=%d", dir, file, (int)getpid());
	assert_int_equal(iso_attack(&t, extra), 0);
	iso_victim_check(&t, a, sizeof(a));
	assert_string_equal(a, "intact");

	/* The directory holds exactly the file, unchanged. */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			fprintf(stderr, "host dir holds %s\n", e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	len = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(len, (ssize_t)strlen(CONTENT));
	assert_memory_equal(buf, CONTENT, strlen(CONTENT));
	/* Its /tmp was its own. */
	assert_int_equal(access(tmp_file, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	iso_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_host_filesystem_read_only, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
