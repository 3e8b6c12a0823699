/* SPDX-License-Identifier: MIT */
/* Message framing and descriptor passing over SOCK_SEQPACKET (msg.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "umx/msg.h"

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

int umx_msg_get_exact(const struct umx_msg *msg, void *out, size_t size)
{
	if (msg->hdr.len != size)
		return -EBADMSG;
	memcpy(out, msg->payload, size);
	return 0;
}

int umx_msg_check_array(const struct umx_msg *msg, size_t head_size, uint32_t count,
                        size_t elem_size, uint32_t max_count)
{
	if (count > max_count)
		return -EBADMSG;
	if (msg->hdr.len != head_size + (size_t)count * elem_size)
		return -EBADMSG;
	return 0;
}
