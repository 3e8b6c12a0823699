/* SPDX-License-Identifier: MIT */
/*
 * compat.h — shared by the drop-in Xen libraries (libxengnttab.so.1,
 * libxenevtchn.so.1, libxenstore.so.4).
 *
 * libumx reports 0 (or a count) / -errno; Xen's libraries report -1 (or
 * NULL / false) with errno set. compat_ret() is the one place where that
 * translation happens. Everything here is hidden by the version maps.
 */
#ifndef UMX_COMPAT_H
#define UMX_COMPAT_H

/* libumx result -> Xen's convention: r >= 0 is returned as is; r < 0
 * sets errno = -r and returns -1. */
int compat_ret(int r);

/* Fail a call that means nothing on umx: print once per @what on stderr
 * ("umx xen-compat: <what> is not supported on umx (<why>)"), set errno
 * to ENOSYS and return -1. Thread-safe. */
int compat_unsupported(const char *what, const char *why);

#endif
