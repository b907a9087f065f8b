/*
 * remotedata.c - canonical SMTP DATA from a queued message; see remotedata.h.
 * runs as:  inside kurier-remote and kurier-rspawn's delivery children
 * trusts:   nothing about the message's line endings or dots
 */
#include "remotedata.h"

unsigned long long data_measure(const char *m, size_t n, int *eightbit)
{
	unsigned long long size = 0;
	size_t i;
	int bol = 1;

	*eightbit = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		if (c & 0x80)
			*eightbit = 1;
		if (bol && c == '.')
			size++;
		if (c == '\r') {
			if (i + 1 < n && m[i + 1] == '\n')
				i++;
			size += 2;
			bol = 1;
		} else if (c == '\n') {
			size += 2;
			bol = 1;
		} else {
			size++;
			bol = 0;
		}
	}
	if (!bol)
		size += 2;
	return size;
}

int data_copy(const char *m, size_t n, data_put put, void *ctx)
{
	size_t i = 0, start;
	int bol = 1;

	while (i < n) {
		if (bol && m[i] == '.' && put(ctx, ".", 1) < 0)
			return -1;
		/* a run of ordinary bytes up to the next line ending */
		start = i;
		while (i < n && m[i] != '\r' && m[i] != '\n')
			i++;
		if (i > start && put(ctx, m + start, i - start) < 0)
			return -1;
		if (i == n) {
			bol = start == i && bol;
			break;
		}
		if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
			i++;
		i++;
		if (put(ctx, "\r\n", 2) < 0)
			return -1;
		bol = 1;
	}
	if (!bol && put(ctx, "\r\n", 2) < 0)
		return -1;
	return put(ctx, ".\r\n", 3);
}
