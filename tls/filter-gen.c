/*
 * filter-gen - write one of kurier-tlsd's system-call filters (filter.h)
 * as a BPF program on stdout: the engine's (kurier-tlsd-ssl), or with
 * the argument "front" the front's (kurier-tlsd), for the build to
 * compile in; each program then loads its filter without building it
 * with libseccomp on every connection.  "front-dynamic" is the front's
 * for an engine linked dynamically (sanitizer builds), which opens its
 * libraries under it: it allows SANDBOX_SPAWN's calls too.
 * runs as:  whoever builds kurier, at build time only; never installed
 * trusts:   nothing but its own tables
 * exit:     0 written; 100 (EX_T_USAGE) bad usage; 111 (EX_T_TEMP)
 *           libseccomp or the write failed
 */
#include <errno.h>
#include <string.h>
#include "exitcode.h"
#include "filter.h"
#include "log.h"
#include "sandbox.h"

int main(int argc, char **argv)
{
	static const int engine[] = TLSD_SANDBOX_EXTRA, front[] = TLSD_FRONT_EXTRA;
	struct sandbox sb = { 0 };

	log_prog("filter-gen");
	sb.allow = TLSD_SANDBOX_ALLOW;
	sb.extra = engine;
	if (argc == 2 && !strcmp(argv[1], "front")) {
		sb.extra = front;
	} else if (argc == 2 && !strcmp(argv[1], "front-dynamic")) {
		sb.extra = front;
		sb.allow |= SANDBOX_SPAWN;
	} else if (argc != 1)
		diex(EX_T_USAGE, "usage: filter-gen [front | front-dynamic]");
	if (sandbox_export(&sb, 1) != 1)
		die(EX_T_TEMP, "cannot write the filter");
	return 0;
}
