/* SPDX-License-Identifier: MIT */
/* The store side of vifs: the toolstack's nodes (what libxl writes for a
 * vif), state helpers both ends use, MAC addresses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_priv.h"

int net_xs_read_uint(umx_xs *xs, const char *path, unsigned long *v)
{
	char *val, *end;
	int r = umx_xs_read(xs, UMX_XS_NO_TX, path, &val, NULL);

	if (r < 0)
		return r;
	errno = 0;
	*v = strtoul(val, &end, 10);
	r = (errno || end == val || *end || val[0] == '-') ? -EINVAL : 0;
	free(val);
	return r;
}

int net_xs_printf(umx_xs *xs, uint32_t tx, const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return umx_xs_write(xs, tx, path, buf, (size_t)n);
}

int net_xs_state(umx_xs *xs, const char *dir)
{
	char path[256];
	unsigned long v;
	int r;

	snprintf(path, sizeof(path), "%s/state", dir);
	r = net_xs_read_uint(xs, path, &v);
	if (r < 0)
		return r;
	return v > XenbusStateReconfigured ? -EINVAL : (int)v;
}

int net_xs_set_state(umx_xs *xs, const char *dir, int state)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/state", dir);
	return net_xs_printf(xs, UMX_XS_NO_TX, path, "%d", state);
}

int umx_net_parse_mac(const char *s, uint8_t mac[UMX_NET_MAC_LEN])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &end) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

void umx_net_format_mac(const uint8_t mac[UMX_NET_MAC_LEN], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
}

/* Write @dir/@name = @val with perms {owner, read for @reader}. */
static int put_node(umx_xs *xs, uint32_t tx, const char *dir, const char *name, const char *val,
                    const char *const *perms)
{
	char path[256];
	int r;

	if (name)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", dir);
	r = val ? umx_xs_write_str(xs, tx, path, val) : umx_xs_mkdir(xs, tx, path);
	if (r < 0)
		return r;
	return umx_xs_set_perms(xs, tx, path, perms, 2);
}

static int next_handle(umx_xs *xs, uint32_t front)
{
	char path[96], **names;
	unsigned count;
	int h = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/device/vif", front);
	if (umx_xs_directory(xs, UMX_XS_NO_TX, path, &names, &count) < 0)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		long v = strtol(names[i], NULL, 10);
		if (v >= h && v < 65535)
			h = (int)v + 1;
	}
	free(names);
	return h;
}

int umx_net_attach(umx_xs *xs, uint32_t front, uint32_t back, int handle,
                   const uint8_t mac[UMX_NET_MAC_LEN])
{
	char fe[96], be[96], fperm0[16], fperm1[16], bperm0[16], bperm1[16], macs[18], num[16];
	const char *fperms[2] = {fperm0, fperm1}, *bperms[2] = {bperm0, bperm1};
	uint8_t m[UMX_NET_MAC_LEN];
	uint32_t tx;
	int r;

	if (front == back || handle > 65535)
		return -EINVAL;
	if (handle < 0)
		handle = next_handle(xs, front);
	if (mac) {
		memcpy(m, mac, sizeof(m));
	} else {
		/* Xen's OUI, then the frontend's domid and the handle. */
		m[0] = 0x00, m[1] = 0x16, m[2] = 0x3e;
		m[3] = (uint8_t)(front >> 8), m[4] = (uint8_t)front, m[5] = (uint8_t)handle;
	}
	umx_net_format_mac(m, macs);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%d", front, handle);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vif/%u/%d", back, front, handle);
	snprintf(fperm0, sizeof(fperm0), "n%u", front);
	snprintf(fperm1, sizeof(fperm1), "r%u", back);
	snprintf(bperm0, sizeof(bperm0), "n%u", back);
	snprintf(bperm1, sizeof(bperm1), "r%u", front);
	for (int tries = 0; tries < 16; tries++) {
		char *old = NULL;
		if ((r = umx_xs_transaction_start(xs, &tx)) < 0)
			return r;
		if (umx_xs_read(xs, tx, fe, &old, NULL) == 0) {
			free(old);
			umx_xs_transaction_end(xs, tx, false);
			return -EEXIST;
		}
		snprintf(num, sizeof(num), "%d", handle);
		/* Frontend directory: owned by the frontend, readable by the backend. */
		if ((r = put_node(xs, tx, fe, NULL, NULL, fperms)) < 0 ||
		    (r = put_node(xs, tx, fe, "backend", be, fperms)) < 0)
			goto abort;
		{
			char bid[16];
			snprintf(bid, sizeof(bid), "%u", back);
			if ((r = put_node(xs, tx, fe, "backend-id", bid, fperms)) < 0 ||
			    (r = put_node(xs, tx, fe, "handle", num, fperms)) < 0 ||
			    (r = put_node(xs, tx, fe, "mac", macs, fperms)) < 0 ||
			    (r = put_node(xs, tx, fe, "state", "1", fperms)) < 0)
				goto abort;
		}
		/* Backend directory: owned by the backend, readable by the frontend;
		 * so is the frontend's directory above it, so that the backend can
		 * remove both when the frontend dies (nobody else does on umxd). */
		{
			char fid[16], bdir[96];
			snprintf(fid, sizeof(fid), "%u", front);
			snprintf(bdir, sizeof(bdir), "/local/domain/%u/backend/vif/%u", back,
			         front);
			if ((r = put_node(xs, tx, bdir, NULL, NULL, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, NULL, NULL, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "frontend", fe, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "frontend-id", fid, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "handle", num, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "mac", macs, bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "type", "vif", bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "online", "1", bperms)) < 0 ||
			    (r = put_node(xs, tx, be, "state", "1", bperms)) < 0)
				goto abort;
		}
		r = umx_xs_transaction_end(xs, tx, true);
		if (r == -EAGAIN)
			continue;
		return r < 0 ? r : handle;
	abort:
		umx_xs_transaction_end(xs, tx, false);
		return r;
	}
	return -EAGAIN;
}

int umx_net_detach(umx_xs *xs, uint32_t front, uint32_t back, unsigned handle)
{
	char fe[96], be[96];
	int r1, r2;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", front, handle);
	snprintf(be, sizeof(be), "/local/domain/%u/backend/vif/%u/%u", back, front, handle);
	r1 = umx_xs_rm(xs, UMX_XS_NO_TX, be);
	r2 = umx_xs_rm(xs, UMX_XS_NO_TX, fe);
	{
		/* The frontend's directory on the backend goes with its last vif. */
		char bdir[96], **names = NULL;
		unsigned n = 0;
		snprintf(bdir, sizeof(bdir), "/local/domain/%u/backend/vif/%u", back, front);
		if (umx_xs_directory(xs, UMX_XS_NO_TX, bdir, &names, &n) == 0 && n == 0)
			umx_xs_rm(xs, UMX_XS_NO_TX, bdir);
		free(names);
	}
	/* The frontend's nodes go with its domain: one side missing is fine. */
	if (r1 == -ENOENT && r2 == -ENOENT)
		return -ENOENT;
	if (r1 == -ENOENT)
		r1 = 0;
	if (r2 == -ENOENT)
		r2 = 0;
	return r1 < 0 ? r1 : r2;
}
