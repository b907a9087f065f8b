/*
 * error.c - temporary versus permanent, decided once for every program.
 * Anything not known to be permanent is temporary: losing mail by
 * bouncing on a passing fault is worse than retrying a hopeless one.
 */
#include <errno.h>
#include <string.h>
#include "error.h"

int error_temp(int e)
{
	switch (e) {
	case ENOENT: case ENOTDIR: case EISDIR: case EACCES: case EPERM:
	case ELOOP: case ENAMETOOLONG: case EINVAL: case EEXIST:
	case E2BIG: case EFBIG: case EROFS:
		return 0;
	}
	return 1;
}

const char *error_str(int e)
{
	return strerror(e);
}
