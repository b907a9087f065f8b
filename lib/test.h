/*
 * test.h - the smallest table-driven unit-test support: TAP lines on
 * stdout, read by tests/run.  Use CHECK(cond, name) for each assertion
 * and return test_done() from main.
 */
#ifndef KURIER_TEST_H
#define KURIER_TEST_H

#include <stdio.h>

static int test_failed;

/* test_check - print one TAP line for a check; returns cond */
static inline int test_check(int cond, const char *name, const char *file, int line)
{
	if (cond)
		printf("ok %s\n", name);
	else {
		printf("not ok %s: %s:%d\n", name, file, line);
		test_failed = 1;
	}
	fflush(stdout);
	return cond;
}

#define CHECK(cond, name) test_check(!!(cond), (name), __FILE__, __LINE__)

/* test_done - exit status for main: 0 when every check passed */
static inline int test_done(void)
{
	return test_failed ? 1 : 0;
}

#endif
