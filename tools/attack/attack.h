/* SPDX-License-Identifier: MIT */
/*
 * The attack catalogue behind `umx attack`: umx plays one end of a device
 * (a *role*: netback attacks a netfront, grant-mapper maps a target's
 * grants and lies about unmapping, ...), honestly until the handshake is
 * done, then fires one attack per fresh device and judges what the target
 * did. The hostile tests fire the same attacks through this library.
 *
 * Devices are made by the toolstack (attach), one per attack plus a last
 * "probe" device; the attacking end runs in a domain (umxd) or in dom0
 * (Xen). Whether the target "kept working" after attack i is told by the
 * honest phase of device i+1, so an attack's verdict is final only once
 * the next device has been tried.
 *
 * Verdicts:
 *   rejected      the target refused (disconnected, marked the device
 *                 broken) or, for a load attack, withstood it; and kept
 *                 working: the next fresh device worked;
 *   vulnerable    evidence of harm, in @evidence: a duplicate id in flight,
 *                 a frame delivered twice, a page reused while mapped, the
 *                 target died;
 *   hung          the target stopped answering: the next fresh device was
 *                 never taken up;
 *   inconclusive  the attack could not be delivered (no traffic to attack)
 *                 or the target tolerated it without visible harm.
 */
#ifndef UMX_ATTACK_H
#define UMX_ATTACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "umx/platform.h"
#include "umx/xs.h"

enum attack_verdict {
	ATTACK_REJECTED,
	ATTACK_VULNERABLE,
	ATTACK_HUNG,
	ATTACK_INCONCLUSIVE,
};

/* What a correct target does: refuse (a protocol violation) or carry on
 * (a load that breaks no rule, e.g. an event storm). */
enum attack_kind {
	ATTACK_VIOLATION,
	ATTACK_LOAD,
};

struct attack_def {
	const char *role;     /* "netback" */
	const char *name;     /* "tx-dup-id" */
	const char *advisory; /* "MSA00", "XSA-391", or the bug class */
	const char *what;     /* what umx does, one line */
	const char *expect;   /* what a correct target does, one line */
	enum attack_kind kind;
	int param; /* the role's own number for it (e.g. enum nh_attack) */
};

#define ATTACK_EVIDENCE_MAX 240

struct attack_result {
	const struct attack_def *a;
	enum attack_verdict v;
	char evidence[ATTACK_EVIDENCE_MAX]; /* printable ASCII, one line */
	long ms;                            /* from the device's attach to the verdict */
};

/* One attack run: the attacking end's platform and the target. */
struct attack_session {
	umx_plat *p;
	uint32_t target;
	unsigned devid0;     /* device i of the run is devid0 + i */
	unsigned timeout_ms; /* per phase: handshake, honest traffic, observation */
	FILE *log;           /* progress lines, or NULL */
	/* store-client: a store's socket to attack as the toolstack, instead
	 * of our own store (NULL); @p may then be NULL. */
	const char *store_path;
};

struct attack_role {
	const char *name;   /* "netback" */
	const char *target; /* what it attacks: "a netfront" */
	/* The toolstack: make (or remove) device @devid of @target, @attacker
	 * being its other end. NULL when the role needs no device. 0 or -errno. */
	int (*attach)(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid);
	int (*detach)(umx_xs *ts, uint32_t target, uint32_t attacker, unsigned devid);
	/* The attacking end: @n attacks on devices devid0 .. devid0 + @n - 1,
	 * the probe on devid0 + @n; fills @out[0..n). 0 or -errno (setup). */
	int (*run)(const struct attack_session *s, const struct attack_def *const *as, unsigned n,
	           struct attack_result *out);
};

/* The catalogue (catalogue.c). */
const struct attack_role *attack_role_find(const char *name);
/* The attacks of @role named @name ("all": every one) into @out (at most
 * @max); the count, or -ENOENT when @name is none of them. */
int attack_select(const struct attack_role *role, const char *name, const struct attack_def **out,
                  unsigned max);
const struct attack_def *attack_find(const char *role, const char *name);
/* `umx attack --list`: every role and attack. */
void attack_list(FILE *f);
#define ATTACK_MAX 32 /* attacks of one role */

/* Reports (report.c). */
const char *attack_verdict_name(enum attack_verdict v);
int attack_verdict_parse(const char *s, enum attack_verdict *v);
/* printf into @r->evidence, made printable and one line. */
void attack_evidence(struct attack_result *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void attack_report_table(FILE *f, const char *role, uint32_t target, const struct attack_result *r,
                         unsigned n);
void attack_report_json(FILE *f, const char *role, uint32_t target, const char *platform,
                        const struct attack_result *r, unsigned n);
/* One result as one line ("R NAME VERDICT MS EVIDENCE"), for the attacker
 * domain to hand results to the toolstack that started it; and back. */
void attack_result_put(FILE *f, const struct attack_result *r);
int attack_result_get(const char *role, char *line, struct attack_result *r);
/* True when any result is vulnerable. */
bool attack_any_vulnerable(const struct attack_result *r, unsigned n);

/* Shared by the roles (session.c). */
void attack_log(const struct attack_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
long attack_now_ms(void);
/* 1: domain @domid is gone (released, or never was); 0: there; -errno. */
int attack_domain_gone(umx_xs *xs, uint32_t domid);
/* A frontend's xenbus state (/local/domain/@dom/device/@type/@devid/state),
 * or -1 when unreadable. */
int attack_fe_state(umx_xs *xs, uint32_t dom, const char *type, unsigned devid);

/* The roles. */
extern const struct attack_role attack_role_netback;
extern const struct attack_role attack_role_netfront;
extern const struct attack_role attack_role_grant_mapper;
extern const struct attack_role attack_role_store_client;

#endif /* UMX_ATTACK_H */
