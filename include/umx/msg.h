/* SPDX-License-Identifier: MIT */
/*
 * msg.h — framing and descriptor passing between umxd and its clients,
 * written once (in the spirit of OpenBSD's imsg) and used by every request.
 *
 * Transport is a Unix SOCK_SEQPACKET socket: one datagram is one message,
 * so the kernel keeps boundaries and ties passed descriptors to the message
 * that carries them. A message is a fixed 16-byte header followed by at most
 * UMX_MSG_MAX_PAYLOAD bytes; it may carry up to UMX_MSG_MAX_FDS descriptors,
 * and the header says how many, so a peer cannot smuggle extra ones.
 *
 * Ownership: umx_msg_recv() hands the received descriptors to the caller in
 * msg->fds; each is either taken with umx_msg_take_fd() or closed by
 * umx_msg_close_fds(). A malformed message never leaks a descriptor.
 */
#ifndef UMX_MSG_H
#define UMX_MSG_H

#include <stddef.h>
#include <stdint.h>

#define UMX_MSG_MAX_PAYLOAD (16u * 1024u)
#define UMX_MSG_MAX_FDS     8u

struct umx_msg_hdr {
	uint32_t type;  /* UMX_CTL_* (include/umx/ctl.h); replies set UMX_CTL_REPLY */
	uint32_t len;   /* payload bytes after the header */
	uint32_t id;    /* request id, echoed in the reply */
	uint16_t nfds;  /* descriptors attached */
	uint16_t flags; /* reserved, must be zero */
};
_Static_assert(sizeof(struct umx_msg_hdr) == 16, "wire header is 16 bytes");

struct umx_msg {
	struct umx_msg_hdr hdr;
	uint8_t payload[UMX_MSG_MAX_PAYLOAD];
	int fds[UMX_MSG_MAX_FDS];
	unsigned nfds;
};

/* Send one message. Returns 0, -EMSGSIZE for oversize input, or -errno
 * (-EAGAIN on a full non-blocking socket: nothing was sent). */
int umx_msg_send(int sock, uint32_t type, uint32_t id, const void *payload, size_t len,
                 const int *fds, unsigned nfds);

/* Receive one message. Returns 0; -ECONNRESET at end of stream; -EAGAIN;
 * -EBADMSG for anything malformed (truncated, oversize, header length or
 * fd count not matching what arrived, reserved bits set) — the peer should
 * then be disconnected. Received descriptors are always close-on-exec. */
int umx_msg_recv(int sock, struct umx_msg *msg);

/* Take ownership of descriptor @i (or -1 if absent). */
int umx_msg_take_fd(struct umx_msg *msg, unsigned i);
/* Close every descriptor not taken. */
void umx_msg_close_fds(struct umx_msg *msg);

/* Bounds-checked view of a payload, for typed getters. */
struct umx_msg_view {
	const uint8_t *p;
	size_t len;
};

/* Copy exactly @size bytes if the payload is exactly @size long; -EBADMSG
 * otherwise. */
int umx_msg_get_exact(const struct umx_msg *msg, void *out, size_t size);
/* Payload = fixed @head_size bytes + @count elements of @elem_size, where
 * @count is read by the caller from the head; checks the total exactly. */
int umx_msg_check_array(const struct umx_msg *msg, size_t head_size, uint32_t count,
                        size_t elem_size, uint32_t max_count);

#endif /* UMX_MSG_H */
