#!/bin/bash
# 03-exitcodes.sh - man/exitcodes.7 and lib/exitcode.h name the same codes
# with the same numbers, both ways; every program's page (section 8) and
# every section-7 page has an EXIT CODES section.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
H=$S/lib/exitcode.h P=$S/man/exitcodes.7

# the header's "#define EX_NAME NUMBER" lines, as "NAME NUMBER"
sed -n 's/^#define[[:space:]]\{1,\}\(EX_[A-Z0-9_]\{1,\}\)[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1 \2/p' "$H" |
	sort >"$T/header"
# the page's table rows "EX_NAME<TAB>NUMBER<TAB>text", as "NAME NUMBER"
sed -n 's/^\(EX_[A-Z0-9_]\{1,\}\)	\([0-9]\{1,\}\)	.*/\1 \2/p' "$P" | sort >"$T/page"

check "the header defines exit codes" test "$(wc -l <"$T/header")" -ge 30
check "the page lists exit codes" test -s "$T/page"
missing=$(comm -23 "$T/header" "$T/page" | tr '\n' ' ')
extra=$(comm -13 "$T/header" "$T/page" | tr '\n' ' ')
if [ -z "$missing" ]; then ok "every code of exitcode.h is in exitcodes(7) with its number"
else notok "every code of exitcode.h is in exitcodes(7) with its number" "missing or different: $missing"; fi
if [ -z "$extra" ]; then ok "exitcodes(7) lists no code exitcode.h lacks"
else notok "exitcodes(7) lists no code exitcode.h lacks" "not in the header: $extra"; fi
dups=$(cut -d' ' -f1 "$T/page" | uniq -d | tr '\n' ' ')
check "exitcodes(7) lists each name once" test -z "$dups"

# the comparison itself must notice a change: a page with one number off
sed 's/^\(EX_Q_WRITE\)	53	/\1	54	/' "$P" >"$T/bad.7"
sed -n 's/^\(EX_[A-Z0-9_]\{1,\}\)	\([0-9]\{1,\}\)	.*/\1 \2/p' "$T/bad.7" | sort >"$T/badpage"
check "a wrong number would be caught" test -n "$(comm -3 "$T/header" "$T/badpage")"

# EXIT CODES sections
cd "$S" || exit 1
for f in $(ls */*.8 */*.7 2>/dev/null | grep -v '^build/' | sort); do
	check "$f has an EXIT CODES section" grep -q '^\.SH "\{0,1\}EXIT CODES' "$f"
done
for f in $(ls */*.5 2>/dev/null | grep -v '^build/' | sort); do
	if grep -q '^\.SH "\{0,1\}EXIT CODES' "$f"; then ok "$f has an EXIT CODES section"
	else skip "$f has an EXIT CODES section" "file-format page without one; its owner should add it"; fi
done
