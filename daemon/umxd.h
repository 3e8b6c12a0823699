/* SPDX-License-Identifier: MIT */
/* umxd internals shared between the daemon's modules. */
#ifndef UMXD_H
#define UMXD_H
#endif
