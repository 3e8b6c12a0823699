/* SPDX-License-Identifier: MIT */
/* What the roles share: progress lines, the clock, the target's state. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* stdint first: Xen's headers expect it. */
#include <xen/io/xs_wire.h>

#include "attack.h"
#include "../../devices/common/peerdom.h"
#include "umx/internal/clock.h"

void attack_log(const struct attack_session *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	fprintf(s->log, "umx attack: ");
	vfprintf(s->log, fmt, ap);
	fputc('\n', s->log);
	va_end(ap);
	fflush(s->log);
}

long attack_now_ms(void)
{
	return (long)umx_clock_ms();
}

int attack_domain_gone(umx_xs *xs, uint32_t domid)
{
	/* The question the device cores ask (XS_IS_DOMAIN_INTRODUCED says "F"
	 * once the domain is released, on Xen's xenstored and umxd's alike). */
	return peerdom_gone(xs, domid);
}

int attack_fe_state(umx_xs *xs, uint32_t dom, const char *type, unsigned devid)
{
	char path[128], *v = NULL, *end;
	long s;

	snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%u/state", dom, type, devid);
	if (umx_xs_read(xs, UMX_XS_NO_TX, path, &v, NULL) < 0)
		return -1;
	s = strtol(v, &end, 10);
	if (end == v || *end || s < 0 || s > 8)
		s = -1;
	free(v);
	return (int)s;
}
