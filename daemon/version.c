/* SPDX-License-Identifier: MIT */
/* The daemon's version string, one place. */
#include "umxd.h"

const char *umxd_version(void);
const char *umxd_version(void)
{
	return UMX_VERSION;
}
