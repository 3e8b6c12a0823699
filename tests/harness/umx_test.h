/* SPDX-License-Identifier: MIT */
/* Test harness: cmocka plus helpers to run umxd in a private directory. */
#ifndef UMX_TEST_H
#define UMX_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
