/* fuzz-qframe - libFuzzer target for the frame parser of kurier-queue -s
 * (qframe.c): any bytes, fed whole and split at a point data[0] chooses,
 * must give the same events with the same bytes, every event must stay
 * inside its input, and MORE must use all of it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "qframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a digest of what the parser reported: events and their byte counts */
struct digest {
	unsigned long long events, msgbytes, envbytes, ends, sum;
	int last;
};

/* feed - run x[0..n) through f into d, as one read; 0 after an error event */
static int feed(struct qframe *f, const char *x, size_t n, struct digest *d)
{
	while (n) {
		const char *p;
		size_t used, len, i;
		enum qframe_event ev = qframe_feed(f, x, n, &used, &p, &len);

		if (used > n || (len && (p < x || p + len > x + used)))
			abort();
		if (ev == QFRAME_MORE && used != n)
			abort();
		if (ev != QFRAME_MORE)
			d->events++;
		for (i = 0; i < len; i++)
			d->sum = d->sum * 31 + (unsigned char)p[i];
		if (ev == QFRAME_MESSAGE) d->msgbytes += len;
		if (ev == QFRAME_ENVELOPE || ev == QFRAME_END) d->envbytes += len;
		if (ev == QFRAME_END) d->ends++;
		d->last = ev;
		if (ev >= QFRAME_FORMAT)
			return 0;
		x += used;
		n -= used;
	}
	return 1;
}

/* LLVMFuzzerTestOneInput - parse data whole and split at data[0]; 0 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qframe a = QFRAME_INIT, b = QFRAME_INIT;
	struct digest da, db;
	size_t cut;

	if (!size) return 0;
	memset(&da, 0, sizeof da);
	memset(&db, 0, sizeof db);
	cut = data[0] % size;
	(void)feed(&a, (const char *)data, size, &da);
	if (feed(&b, (const char *)data, cut, &db))
		(void)feed(&b, (const char *)data + cut, size - cut, &db);
	/* a split can cut one data event in two, so compare bytes, not
	 * events; an error drops the envelope bytes of the piece it is in
	 * (the caller removes the whole message then), so after one only
	 * the messages before it and the kind of error must agree */
	if (da.ends != db.ends || da.msgbytes != db.msgbytes ||
	    (da.last >= QFRAME_FORMAT) != (db.last >= QFRAME_FORMAT))
		abort();
	if (da.last >= QFRAME_FORMAT ? da.last != db.last :
	    da.envbytes != db.envbytes || da.sum != db.sum || qframe_idle(&a) != qframe_idle(&b))
		abort();
	return 0;
}
