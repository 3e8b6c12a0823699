/* SPDX-License-Identifier: MIT */
/*
 * bytering.c — byte-stream ring (vchan, console), hardened against the peer.
 *
 * Barrier map:
 *   A1  writer: release store of prod after copying data in (write_common)
 *         pairs with R1: the reader sees the bytes before the index.
 *   R1  reader: acquire load of prod (peer_index) pairs with A1.
 *   A2  reader: release store of cons after copying data out (read_common)
 *         pairs with R2: our reads of the bytes are complete before the
 *         writer may overwrite them.
 *   R2  writer: acquire load of cons (peer_index) pairs with A2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "umx/barrier.h"
#include "umx/bytering.h"
#include "umx/log.h"

static bool is_reader(const struct umx_bytering *b)
{
	return b->role == UMX_BYTERING_READER;
}

static int bytering_vbreak(struct umx_bytering *b, const char *fmt, va_list ap)
{
	if (b->broken)
		return -EPROTO;
	vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
	b->broken = true;
	umx_warn("bytering %s: broken: %s", is_reader(b) ? "reader" : "writer", b->reason);
	return -EPROTO;
}

int umx_bytering_mark_broken(struct umx_bytering *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bytering_vbreak(b, fmt, ap);
	va_end(ap);
	return rc;
}

int umx_bytering_init(struct umx_bytering *b, enum umx_bytering_role role, void *buf, size_t size,
                      uint32_t *cons, uint32_t *prod)
{
	if (!buf || !cons || !prod || !size || size > UMX_BYTERING_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	if (role != UMX_BYTERING_READER && role != UMX_BYTERING_WRITER)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->size = (uint32_t)size;
	b->role = role;
	b->own_idx = role == UMX_BYTERING_READER ? cons : prod;
	b->peer_idx = role == UMX_BYTERING_READER ? prod : cons;
	/* Our own index, once; it is never read back from the page. */
	b->pvt = umx_load_relaxed32(b->own_idx);
	/* Lower bound of the peer's index: the reader's prod cannot be behind
	 * cons; the writer's cons cannot be more than size behind prod. */
	b->peer_last = is_reader(b) ? b->pvt : b->pvt - b->size;
	return 0;
}

/*
 * Read the peer's index once and check it lies in [peer_last, hi]. Returns
 * the bytes of data (reader) or space (writer) available, or -EPROTO.
 */
static int peer_index(struct umx_bytering *b)
{
	if (b->broken)
		return -EPROTO;
	/* R1 (reader, prod): pairs with A1 in write_common(): data before prod.
	 * R2 (writer, cons): pairs with A2 in read_common(): the reader is done
	 * with the bytes before we overwrite them. */
	uint32_t p = umx_load_acquire32(b->peer_idx);

	if (is_reader(b)) {
		uint32_t data = p - b->pvt;
		if (data > b->size)
			return umx_bytering_mark_broken(
			        b, "producer %u overruns consumer %u (size %u)", p, b->pvt,
			        b->size);
		if (data < b->peer_last - b->pvt)
			return umx_bytering_mark_broken(b, "producer went backwards: %u after %u",
			                                p, b->peer_last);
		b->peer_last = p;
		return (int)data;
	}
	uint32_t used = b->pvt - p;
	if (used > b->size)
		return umx_bytering_mark_broken(b, "consumer %u outside producer %u - size %u", p,
		                                b->pvt, b->size);
	if (used > b->pvt - b->peer_last)
		return umx_bytering_mark_broken(b, "consumer went backwards: %u after %u", p,
		                                b->peer_last);
	b->peer_last = p;
	return (int)(b->size - used);
}

int umx_bytering_data_avail(struct umx_bytering *b)
{
	if (!is_reader(b))
		return -EINVAL;
	return peer_index(b);
}

int umx_bytering_space_avail(struct umx_bytering *b)
{
	if (is_reader(b))
		return -EINVAL;
	return peer_index(b);
}

static void read_common(struct umx_bytering *b, unsigned char *dst, uint32_t n)
{
	uint32_t off = b->pvt & (b->size - 1);
	uint32_t run = b->size - off < n ? b->size - off : n;

	memcpy(dst, b->buf + off, run);
	if (n > run)
		memcpy(dst + run, b->buf, n - run);
	b->pvt += n;
	/* A2: pairs with R2 in the writer's peer_index(): our copy is complete
	 * before it may reuse the space. */
	umx_store_release32(b->own_idx, b->pvt);
}

static void write_common(struct umx_bytering *b, const unsigned char *src, uint32_t n)
{
	uint32_t off = b->pvt & (b->size - 1);
	uint32_t run = b->size - off < n ? b->size - off : n;

	memcpy(b->buf + off, src, run);
	if (n > run)
		memcpy(b->buf, src + run, n - run);
	b->pvt += n;
	/* A1: pairs with R1 in the reader's peer_index(): data before prod. */
	umx_store_release32(b->own_idx, b->pvt);
}

int umx_bytering_read(struct umx_bytering *b, void *dst, size_t len)
{
	int avail = umx_bytering_data_avail(b);

	if (avail < 0)
		return avail;
	uint32_t n = (size_t)avail < len ? (uint32_t)avail : (uint32_t)len;
	if (n)
		read_common(b, dst, n);
	return (int)n;
}

int umx_bytering_read_all(struct umx_bytering *b, void *dst, size_t len)
{
	int avail = umx_bytering_data_avail(b);

	if (avail < 0)
		return avail;
	if (len > b->size)
		return -EMSGSIZE;
	if ((size_t)avail < len)
		return -EAGAIN;
	if (len)
		read_common(b, dst, (uint32_t)len);
	return (int)len;
}

int umx_bytering_write(struct umx_bytering *b, const void *src, size_t len)
{
	int space = umx_bytering_space_avail(b);

	if (space < 0)
		return space;
	uint32_t n = (size_t)space < len ? (uint32_t)space : (uint32_t)len;
	if (n)
		write_common(b, src, n);
	return (int)n;
}

int umx_bytering_write_all(struct umx_bytering *b, const void *src, size_t len)
{
	int space = umx_bytering_space_avail(b);

	if (space < 0)
		return space;
	if (len > b->size)
		return -EMSGSIZE;
	if ((size_t)space < len)
		return -EAGAIN;
	if (len)
		write_common(b, src, (uint32_t)len);
	return (int)len;
}

const char *umx_bytering_broken(const struct umx_bytering *b)
{
	return b->broken ? b->reason : NULL;
}
