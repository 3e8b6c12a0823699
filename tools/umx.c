/* SPDX-License-Identifier: MIT */
/* The umx command (placeholder until the daemon lands). */
#include <stdio.h>

int main(void)
{
	puts("umx " UMX_VERSION);
	return 0;
}
