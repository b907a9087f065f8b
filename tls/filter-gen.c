/*
 * filter-gen - write kurier-tlsd's system-call filter (filter.h) as a BPF
 * program on stdout, for the build to compile into kurier-tlsd, which
 * then loads it without building it with libseccomp on every connection.
 * runs as:  whoever builds kurier, at build time only; never installed
 * trusts:   nothing but its own tables
 * exit:     0 written; 111 (EX_T_TEMP) libseccomp or the write failed
 */
#include <errno.h>
#include "exitcode.h"
#include "filter.h"
#include "log.h"
#include "sandbox.h"

int main(void)
{
	static const int extra[] = TLSD_SANDBOX_EXTRA;
	struct sandbox sb = { 0 };

	log_prog("filter-gen");
	sb.allow = TLSD_SANDBOX_ALLOW;
	sb.extra = extra;
	if (sandbox_export(&sb, 1) != 1)
		die(EX_T_TEMP, "cannot write the filter");
	return 0;
}
