/* SPDX-License-Identifier: MIT */
/* Path rules of Xen 4.17's xenstored: canonical form, characters, lengths. */
#include <stdio.h>
#include <string.h>

#include "xs_engine.h"

static bool valid_chars(const char *p)
{
	for (; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' || ch == '_' || ch == '@'))
			return false;
	}
	return true;
}

int xs_parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* Offset of what follows "/local/domain/<digits>", or 0. */
static size_t local_off(const char *p)
{
	static const char pre[] = "/local/domain/";
	if (strncmp(p, pre, sizeof(pre) - 1) != 0)
		return 0;
	size_t i = sizeof(pre) - 1, d = 0;
	while (p[i] >= '0' && p[i] <= '9' && d < 5) {
		i++;
		d++;
	}
	return d ? i : 0;
}

int xs_path_canon(const struct xs_store *st, unsigned domid, const char *in, bool special,
                  char *out, size_t cap)
{
	size_t len = strlen(in);
	if (in[0] == '@') {
		if (!special || len > XENSTORE_REL_PATH_MAX || !valid_chars(in) || len + 1 > cap)
			return -EINVAL;
		memcpy(out, in, len + 1);
		return 0;
	}
	if (in[0] == '/') {
		if (len + 1 > cap)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		int n = snprintf(out, cap, "/local/domain/%u/%s", domid, in);
		if (n < 0 || (size_t)n >= cap)
			return -EINVAL;
		len = (size_t)n;
	}
	if (len > XENSTORE_ABS_PATH_MAX)
		return -EINVAL;
	if (len > 1 && out[len - 1] == '/')
		return -EINVAL;
	if (strstr(out, "//") || !valid_chars(out))
		return -EINVAL;
	if (!xs_dom_privileged(domid) && len - local_off(out) > st->quota[XS_Q_PATH_MAX])
		return -EINVAL;
	return 0;
}

bool xs_path_covers(const char *a, const char *b)
{
	size_t la = strlen(a);
	if (la == 1 && a[0] == '/')
		return b[0] == '/';
	return !strncmp(a, b, la) && (b[la] == '\0' || b[la] == '/');
}

size_t xs_path_parent_len(const char *p)
{
	const char *s = strrchr(p, '/');
	if (!s || s == p)
		return 1;
	return (size_t)(s - p);
}

const char *xs_path_base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}
