/* SPDX-License-Identifier: MIT */
/* Through the drop-in libxenstore.so.4 (toolstack connection): watches
 * fire with Xen's vector (XS_WATCH_PATH, XS_WATCH_TOKEN), several watches
 * keep their own tokens, xs_unwatch stops a watch (and with
 * XS_UNWATCH_FILTER drops its queued events), xs_fileno() is readable
 * exactly while an event is queued, xs_check_watch says EAGAIN when none
 * is, a blocked xs_read_watch wakes for an event written by another
 * thread, and events keep their order while another thread's requests on
 * the same handle move events too. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include <xenstore.h>

#include "compat_xs_group.h"
#include "umx_test.h"

/* The next event, within 5 s, must be @path/@token. */
static void expect_event(struct xs_handle *h, const char *path, const char *token)
{
	char **v;
	unsigned n = 0;

	assert_int_equal(compat_readable(XS(xs_fileno)(h), 5000), 1);
	v = XS(xs_read_watch)(h, &n);
	assert_non_null(v);
	assert_int_equal(n, 2);
	assert_string_equal(v[XS_WATCH_PATH], path);
	assert_string_equal(v[XS_WATCH_TOKEN], token);
	free(v);
}

static void expect_none(struct xs_handle *h)
{
	int fd = XS(xs_fileno)(h);

	/* Give a stray event time to arrive before saying there is none. */
	assert_int_equal(compat_readable(fd, 200), 0);
	errno = 0;
	assert_null(XS(xs_check_watch)(h));
	assert_int_equal(errno, EAGAIN);
}

static void put(struct xs_handle *h, const char *path, const char *v)
{
	assert_true(XS(xs_write)(h, XBT_NULL, path, v, (unsigned)strlen(v)));
}

static void watches_fire_with_path_token_and_fileno_readable_while_queued(void **state)
{
	struct xs_handle *h = XS(xs_open)(0), *w = XS(xs_open)(0);
	char **v;

	(void)state;
	assert_non_null(h);
	assert_non_null(w);
	assert_true(XS(xs_mkdir)(h, XBT_NULL, "/t/a"));
	assert_true(XS(xs_mkdir)(h, XBT_NULL, "/t/b"));
	assert_true(XS(xs_watch)(w, "/t/a", "tokA"));
	assert_true(XS(xs_watch)(w, "/t/b", "tokB"));
	/* Xen fires each new watch once, at once. */
	expect_event(w, "/t/a", "tokA");
	expect_event(w, "/t/b", "tokB");
	expect_none(w);

	put(h, "/t/a/x", "1");
	expect_event(w, "/t/a/x", "tokA");
	expect_none(w);

	/* Two queued: readable after the first is taken, not after the second. */
	put(h, "/t/b/y", "2");
	put(h, "/t/a", "3");
	assert_int_equal(compat_readable(XS(xs_fileno)(w), 5000), 1);
	usleep(200 * 1000); /* the second event too */
	v = XS(xs_check_watch)(w);
	assert_non_null(v);
	assert_string_equal(v[XS_WATCH_PATH], "/t/b/y");
	assert_string_equal(v[XS_WATCH_TOKEN], "tokB");
	free(v);
	assert_int_equal(compat_readable(XS(xs_fileno)(w), 0), 1);
	expect_event(w, "/t/a", "tokA");
	expect_none(w);

	/* A write outside both watched trees fires nothing. */
	put(h, "/t/c", "4");
	expect_none(w);

	XS(xs_close)(w);
	XS(xs_close)(h);
}

static void unwatch_stops_the_watch_and_filter_drops_its_queued_events(void **state)
{
	struct xs_handle *h = XS(xs_open)(0), *w = XS(xs_open)(0),
	                 *f = XS(xs_open)(XS_UNWATCH_FILTER);

	(void)state;
	assert_true(h && w && f);
	assert_true(XS(xs_watch)(w, "/u/a", "A"));
	assert_true(XS(xs_watch)(w, "/u/b", "B"));
	expect_event(w, "/u/a", "A");
	expect_event(w, "/u/b", "B");
	assert_true(XS(xs_unwatch)(w, "/u/a", "A"));
	put(h, "/u/a", "gone");
	expect_none(w);
	put(h, "/u/b", "still");
	expect_event(w, "/u/b", "B");
	/* Unwatching what is not watched is the store's ENOENT. */
	errno = 0;
	assert_false(XS(xs_unwatch)(w, "/u/a", "A"));
	assert_int_equal(errno, ENOENT);

	/* XS_UNWATCH_FILTER: an event queued before xs_unwatch is dropped, and
	 * the descriptor stops being readable. */
	assert_true(XS(xs_watch)(f, "/u/f", "F"));
	expect_event(f, "/u/f", "F");
	put(h, "/u/f", "queued");
	assert_int_equal(compat_readable(XS(xs_fileno)(f), 5000), 1);
	assert_true(XS(xs_unwatch)(f, "/u/f", "F"));
	expect_none(f);

	XS(xs_close)(f);
	XS(xs_close)(w);
	XS(xs_close)(h);
}

static void *late_writer(void *arg)
{
	struct xs_handle *h = arg;

	usleep(200 * 1000);
	XS(xs_write)(h, XBT_NULL, "/r/x", "late", 4);
	return NULL;
}

static void read_watch_blocks_until_another_thread_writes(void **state)
{
	struct xs_handle *h = XS(xs_open)(0), *w = XS(xs_open)(0);
	pthread_t t;
	char **v;
	unsigned n;

	(void)state;
	assert_true(h && w);
	assert_true(XS(xs_watch)(w, "/r", "R"));
	expect_event(w, "/r", "R");
	assert_int_equal(pthread_create(&t, NULL, late_writer, h), 0);
	v = XS(xs_read_watch)(w, &n);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(v);
	assert_string_equal(v[XS_WATCH_PATH], "/r/x");
	assert_string_equal(v[XS_WATCH_TOKEN], "R");
	free(v);
	/* Requests still work on a handle whose reader thread runs. */
	v = XS(xs_read)(w, XBT_NULL, "/r/x", &n);
	assert_non_null(v);
	assert_int_equal(n, 4);
	assert_memory_equal(v, "late", 4);
	free(v);
	XS(xs_close)(w);
	XS(xs_close)(h);
}

struct busy {
	struct xs_handle *h;
	volatile int stop;
};

/* Requests on the watching handle: each one also moves events that came
 * in ahead of its reply, concurrently with the reader thread. */
static void *busy_reader(void *arg)
{
	struct busy *b = arg;

	while (!b->stop) {
		unsigned n;
		free(XS(xs_read)(b->h, XBT_NULL, "/o", &n));
	}
	return NULL;
}

static void events_keep_write_order_while_requests_run_on_the_handle(void **state)
{
	enum {
		N = 400
	};
	struct xs_handle *h = XS(xs_open)(0), *w = XS(xs_open)(0);
	struct busy b = {.stop = 0};
	pthread_t t;

	(void)state;
	assert_true(h && w);
	b.h = w;
	put(h, "/o", "");
	assert_true(XS(xs_watch)(w, "/o", "O"));
	expect_event(w, "/o", "O");
	assert_int_equal(pthread_create(&t, NULL, busy_reader, &b), 0);
	for (int i = 0; i < N; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/o/%d", i);
		put(h, path, "v");
	}
	for (int i = 0; i < N; i++) {
		char path[32], **v;
		unsigned n;

		snprintf(path, sizeof(path), "/o/%d", i);
		v = XS(xs_read_watch)(w, &n);
		assert_non_null(v);
		assert_string_equal(v[XS_WATCH_PATH], path);
		free(v);
	}
	b.stop = 1;
	assert_int_equal(pthread_join(t, NULL), 0);
	XS(xs_close)(w);
	XS(xs_close)(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(watches_fire_with_path_token_and_fileno_readable_while_queued),
	        cmocka_unit_test(unwatch_stops_the_watch_and_filter_drops_its_queued_events),
	        cmocka_unit_test(read_watch_blocks_until_another_thread_writes),
	        cmocka_unit_test(events_keep_write_order_while_requests_run_on_the_handle),
	};
	if (!getenv("UMX")) {
		printf("SKIP: UMX not set (run under ctest)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, compat_xs_setup, compat_xs_teardown);
}
