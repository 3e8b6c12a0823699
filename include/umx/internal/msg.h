/* SPDX-License-Identifier: MIT */
/*
 * msg.h — framing and descriptor passing between umxd and its clients,
 * written once (in the spirit of OpenBSD's imsg) and used by every request.
 * Not a public API, and not installed (libumx, umxd and their tests).
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
#ifndef UMX_INTERNAL_MSG_H
#define UMX_INTERNAL_MSG_H

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

/* ---- typed payloads (in the spirit of imsg's ibuf) ----------------------
 *
 * Payloads are the fixed-size structs of ctl.h, some followed by an array
 * whose count is in the head. They are built by appending typed parts to a
 * caller's buffer and read by taking typed parts off the front, never by
 * offset arithmetic. Every step is bounds-checked: a reader fails with
 * -EBADMSG on a short payload, and umx_msg_rd_end() fails unless the
 * payload was consumed exactly, so each type's length is exact. The peer's
 * bytes are copied out, so no caller ever reads a misaligned struct in
 * place. */

struct umx_msg_wr {
	uint8_t *p;
	size_t cap;
	size_t len; /* bytes built so far */
	int err;    /* 0, or -EMSGSIZE once something did not fit (sticky) */
};

struct umx_msg_rd {
	const uint8_t *p;
	size_t len;
	size_t off; /* bytes taken so far */
};

void umx_msg_wr_init(struct umx_msg_wr *w, void *buf, size_t cap);
/* Append @len bytes. Once a part does not fit, the writer stays failed
 * and appends nothing more: check umx_msg_wr_end() once at the end. */
void umx_msg_put(struct umx_msg_wr *w, const void *data, size_t len);
/* 0 with the payload complete in w->p[0..w->len), or -EMSGSIZE. */
int umx_msg_wr_end(const struct umx_msg_wr *w);

void umx_msg_rd_init(struct umx_msg_rd *r, const void *payload, size_t len);
/* A reader over a received message's payload. */
void umx_msg_rd_msg(struct umx_msg_rd *r, const struct umx_msg *msg);
/* Take the next @len bytes into @out; -EBADMSG when fewer remain (nothing
 * is taken then). */
int umx_msg_get(struct umx_msg_rd *r, void *out, size_t len);
/* Take @count elements of @elem_size, @count being the peer's word:
 * -EBADMSG when it exceeds @max or fewer bytes remain. */
int umx_msg_get_array(struct umx_msg_rd *r, void *out, uint32_t count, size_t elem_size,
                      uint32_t max);
/* 0 when the payload was consumed exactly, else -EBADMSG. */
int umx_msg_rd_end(const struct umx_msg_rd *r);

/* Append or take one object, sized by its type. */
#define UMX_MSG_PUT(w, obj) umx_msg_put((w), (obj), sizeof(*(obj)))
#define UMX_MSG_GET(r, obj) umx_msg_get((r), (obj), sizeof(*(obj)))

/* The rest of @r is a batch: a head of @head_size bytes whose uint32_t
 * count is at @count_off, then exactly count elements of @elem_size, with
 * 1 <= count <= @max. Takes both; returns count, or -EBADMSG for anything
 * else (the one check of the GNT_MAP, GNT_UNMAP and GNT_COPY requests and
 * of their replies' bodies). */
int umx_msg_get_batch(struct umx_msg_rd *r, void *head, size_t head_size, size_t count_off,
                      void *elems, size_t elem_size, uint32_t max);

/* Copy exactly @size bytes if the payload is exactly @size long; -EBADMSG
 * otherwise (the fixed-size messages). */
int umx_msg_get_exact(const struct umx_msg *msg, void *out, size_t size);

#endif /* UMX_INTERNAL_MSG_H */
