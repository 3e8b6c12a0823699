/* SPDX-License-Identifier: MIT */
/* umxd entry point (placeholder until the daemon lands). */
#include <stdio.h>

int main(void)
{
	puts("umxd " UMX_VERSION);
	return 0;
}
