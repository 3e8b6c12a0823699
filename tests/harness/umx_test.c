/* SPDX-License-Identifier: MIT */
/* Test harness helpers. */
#include "umx_test.h"
