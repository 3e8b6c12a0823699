/* SPDX-License-Identifier: MIT */
/* Reports of an attack run: the terminal table, JSON, and the one-line
 * form the attacker domain hands to the toolstack (attack.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"

static const char *const verdicts[] = {
        [ATTACK_REJECTED] = "rejected",
        [ATTACK_VULNERABLE] = "vulnerable",
        [ATTACK_HUNG] = "hung",
        [ATTACK_INCONCLUSIVE] = "inconclusive",
};

const char *attack_verdict_name(enum attack_verdict v)
{
	return (unsigned)v < sizeof(verdicts) / sizeof(verdicts[0]) ? verdicts[v] : "?";
}

int attack_verdict_parse(const char *s, enum attack_verdict *v)
{
	for (unsigned i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (!strcmp(s, verdicts[i])) {
			*v = (enum attack_verdict)i;
			return 0;
		}
	return -EINVAL;
}

void attack_evidence(struct attack_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->evidence, sizeof(r->evidence), fmt, ap);
	va_end(ap);
	/* Evidence may quote the target's bytes: printable, one line. */
	for (char *c = r->evidence; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '.';
}

bool attack_any_vulnerable(const struct attack_result *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].v == ATTACK_VULNERABLE)
			return true;
	return false;
}

void attack_report_table(FILE *f, const char *role, uint32_t target, const struct attack_result *r,
                         unsigned n)
{
	unsigned count[4] = {0};

	fprintf(f, "umx attack %s against domain %u\n", role, target);
	fprintf(f, "%-26s %-10s %-12s %s\n", "ATTACK", "CLASS", "VERDICT", "EVIDENCE");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%-26s %-10s %-12s %s\n", r[i].a->name, r[i].a->advisory,
		        attack_verdict_name(r[i].v), r[i].evidence);
		count[r[i].v & 3]++;
	}
	fprintf(f, "%u attacks: %u rejected, %u vulnerable, %u hung, %u inconclusive\n", n,
	        count[ATTACK_REJECTED], count[ATTACK_VULNERABLE], count[ATTACK_HUNG],
	        count[ATTACK_INCONCLUSIVE]);
}

/* A JSON string: evidence is printable already; escape quotes and '\'. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			fputc(*s, f);
	}
	fputc('"', f);
}

void attack_report_json(FILE *f, const char *role, uint32_t target, const char *platform,
                        const struct attack_result *r, unsigned n)
{
	fprintf(f, "{\"role\": ");
	json_str(f, role);
	fprintf(f, ", \"target\": %u, \"platform\": ", target);
	json_str(f, platform);
	fprintf(f, ", \"vulnerable\": %s, \"results\": [",
	        attack_any_vulnerable(r, n) ? "true" : "false");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s\n  {\"attack\": ", i ? "," : "");
		json_str(f, r[i].a->name);
		fprintf(f, ", \"class\": ");
		json_str(f, r[i].a->advisory);
		fprintf(f, ", \"verdict\": ");
		json_str(f, attack_verdict_name(r[i].v));
		fprintf(f, ", \"evidence\": ");
		json_str(f, r[i].evidence);
		fprintf(f, ", \"expect\": ");
		json_str(f, r[i].a->expect);
		fprintf(f, ", \"ms\": %ld}", r[i].ms);
	}
	fprintf(f, "\n]}\n");
}

void attack_result_put(FILE *f, const struct attack_result *r)
{
	fprintf(f, "R %s %s %ld %s\n", r->a->name, attack_verdict_name(r->v), r->ms, r->evidence);
	fflush(f);
}

int attack_result_get(const char *role, char *line, struct attack_result *r)
{
	char *save = NULL, *tag, *name, *verdict, *ms, *end;
	size_t len = strlen(line);

	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (!(tag = strtok_r(line, " ", &save)) || strcmp(tag, "R") != 0 ||
	    !(name = strtok_r(NULL, " ", &save)) || !(verdict = strtok_r(NULL, " ", &save)) ||
	    !(ms = strtok_r(NULL, " ", &save)))
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	if (!(r->a = attack_find(role, name)) || attack_verdict_parse(verdict, &r->v) < 0)
		return -EBADMSG;
	r->ms = strtol(ms, &end, 10);
	if (*end)
		return -EBADMSG;
	attack_evidence(r, "%s", save ? save : "");
	return 0;
}
