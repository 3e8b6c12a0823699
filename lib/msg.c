/* SPDX-License-Identifier: MIT */
/* Message framing and descriptor passing over SOCK_SEQPACKET (msg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "umx/internal/msg.h"

int umx_msg_send(int sock, uint32_t type, uint32_t id, const void *payload, size_t len,
                 const int *fds, unsigned nfds)
{
	struct umx_msg_hdr hdr = {
	        .type = type, .len = (uint32_t)len, .id = id, .nfds = (uint16_t)nfds};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * UMX_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	if (len > UMX_MSG_MAX_PAYLOAD || nfds > UMX_MSG_MAX_FDS)
		return -EMSGSIZE;
	if (nfds) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* SOCK_SEQPACKET sends whole datagrams or fails. */
	return (size_t)n == sizeof(hdr) + len ? 0 : -EIO;
}

static void close_array(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int umx_msg_recv(int sock, struct umx_msg *msg)
{
	struct iovec iov[2] = {{&msg->hdr, sizeof(msg->hdr)}, {msg->payload, sizeof(msg->payload)}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * UMX_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = iov,
	                    .msg_iovlen = 2,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;
	int bad = 0;

	msg->nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;

	/* Collect every descriptor first so that no error path leaks one. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int tmp[UMX_MSG_MAX_FDS];
		if (cnt > UMX_MSG_MAX_FDS - msg->nfds) {
			/* Cannot happen with our buffer size (the kernel
			 * truncates instead), but never trust arithmetic. */
			bad = 1;
			cnt = UMX_MSG_MAX_FDS - msg->nfds;
		}
		memcpy(tmp, CMSG_DATA(c), cnt * sizeof(int));
		memcpy(&msg->fds[msg->nfds], tmp, cnt * sizeof(int));
		msg->nfds += (unsigned)cnt;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = 1;
	if ((size_t)n < sizeof(msg->hdr) || (size_t)n - sizeof(msg->hdr) != msg->hdr.len ||
	    msg->hdr.len > UMX_MSG_MAX_PAYLOAD || msg->hdr.nfds != msg->nfds || msg->hdr.flags)
		bad = 1;
	if (bad) {
		close_array(msg->fds, msg->nfds);
		msg->nfds = 0;
		return -EBADMSG;
	}
	return 0;
}

int umx_msg_take_fd(struct umx_msg *msg, unsigned i)
{
	int fd;
	if (i >= msg->nfds)
		return -1;
	fd = msg->fds[i];
	msg->fds[i] = -1;
	return fd;
}

void umx_msg_close_fds(struct umx_msg *msg)
{
	close_array(msg->fds, msg->nfds);
	msg->nfds = 0;
}

/* ---- typed payloads -------------------------------------------------- */

void umx_msg_wr_init(struct umx_msg_wr *w, void *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

void umx_msg_put(struct umx_msg_wr *w, const void *data, size_t len)
{
	if (w->err)
		return;
	if (len > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return;
	}
	if (len)
		memcpy(w->p + w->len, data, len);
	w->len += len;
}

int umx_msg_wr_end(const struct umx_msg_wr *w)
{
	return w->err;
}

void umx_msg_rd_init(struct umx_msg_rd *r, const void *payload, size_t len)
{
	r->p = payload;
	r->len = len;
	r->off = 0;
}

void umx_msg_rd_msg(struct umx_msg_rd *r, const struct umx_msg *msg)
{
	/* umx_msg_recv() checked hdr.len against what arrived; a message
	 * built locally (tests, fuzzers) gets the same bound here. */
	umx_msg_rd_init(r, msg->payload,
	                msg->hdr.len < UMX_MSG_MAX_PAYLOAD ? msg->hdr.len : UMX_MSG_MAX_PAYLOAD);
}

int umx_msg_get(struct umx_msg_rd *r, void *out, size_t len)
{
	if (len > r->len - r->off)
		return -EBADMSG;
	if (len)
		memcpy(out, r->p + r->off, len);
	r->off += len;
	return 0;
}

int umx_msg_get_array(struct umx_msg_rd *r, void *out, uint32_t count, size_t elem_size,
                      uint32_t max)
{
	if (count > max)
		return -EBADMSG;
	return umx_msg_get(r, out, (size_t)count * elem_size);
}

int umx_msg_rd_end(const struct umx_msg_rd *r)
{
	return r->off == r->len ? 0 : -EBADMSG;
}

int umx_msg_get_batch(struct umx_msg_rd *r, void *head, size_t head_size, size_t count_off,
                      void *elems, size_t elem_size, uint32_t max)
{
	uint32_t count;

	if (count_off > head_size || head_size - count_off < sizeof(count))
		abort(); /* misuse of our own API */
	if (umx_msg_get(r, head, head_size) < 0)
		return -EBADMSG;
	memcpy(&count, (const uint8_t *)head + count_off, sizeof(count));
	if (count == 0 || umx_msg_get_array(r, elems, count, elem_size, max) < 0 ||
	    umx_msg_rd_end(r) < 0)
		return -EBADMSG;
	return (int)count;
}

int umx_msg_get_exact(const struct umx_msg *msg, void *out, size_t size)
{
	if (msg->hdr.len != size)
		return -EBADMSG;
	memcpy(out, msg->payload, size);
	return 0;
}
