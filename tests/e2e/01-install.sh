#!/bin/bash
# 01-install.sh - make setup's installer on scratch conf-homes: setup from
# every */hier*.tab gives a tree that instcheck accepts; a changed mode,
# owner or group, a missing file, a missing generated file and a planted
# symbolic link are each reported; reinstalling repairs them without
# following the links; t entries get @HOME@ replaced, c entries keep an
# edited file, generated files are not regenerated; a bad table is refused
# with file:line; a second conf-home is independent of the first.
. "$KURIER_SRC/tests/lib.sh"
S=$KURIER_SRC
I=$KB/kurier-install
SETUP=$S/install/setup.sh
if [ "$(id -u)" != 0 ]; then skip install "needs root (chown)"; exit 0; fi
if [ ! -x "$I" ]; then notok kurier-install-built "no $I"; exit 0; fi
mapfile -t TABLES < <(ls "$S"/*/hier*.tab | sort)
H=$T/home H2=$T/home2

# setup HOME [TABLE...] - run make setup's script for HOME
setup() { local h=$1; shift; "$SETUP" "$h" "$KB" "$S" "${TABLES[@]}" "$@" >"$T/setup.out" 2>&1; }
# icheck HOME - instcheck's command; its report in $T/check.out
icheck() { local h=$1; shift; "$I" check "$h" "${TABLES[@]}" "$@" >"$T/check.out" 2>&1; }
# reported TEXT - ok when the last check printed a line with TEXT
reported() { grep -qF -- "$1" "$T/check.out"; }

check_exit "setup into a scratch conf-home" 0 setup "$H"
[ -s "$T/setup.out" ] && sed 's/^/# /' "$T/setup.out"
check_exit "instcheck passes on the fresh tree" 0 icheck "$H"
check "instcheck prints nothing when all is right" test ! -s "$T/check.out"
check "control/tlskey.pem is 0600 root" test "$(stat -c '%a %U' "$H/control/tlskey.pem")" = "600 root"
check "control/tlscert.pem is a certificate" openssl x509 -in "$H/control/tlscert.pem" -noout
check "the key matches the certificate" test \
	"$(openssl x509 -in "$H/control/tlscert.pem" -noout -pubkey | sha256sum)" = \
	"$(openssl pkey -in "$H/control/tlskey.pem" -pubout | sha256sum)"
check "control/me holds a host name" grep -q '^[A-Za-z0-9.-]\+$' "$H/control/me"
check "bin/kurier-install is installed 0755" test "$(stat -c %a "$H/bin/kurier-install")" = 755
check "man/man7/exitcodes.7 is installed" cmp -s "$S/man/exitcodes.7" "$H/man/man7/exitcodes.7"
check "queue/mess is split as conf-split says" test \
	"$(find "$H/queue/mess" -mindepth 1 -maxdepth 1 -type d | wc -l)" = "$(head -n 1 "$S/conf-split")"

# --- problems instcheck must see ------------------------------------------------
chmod 0777 "$H/control"
chown kurierd "$H/bin/kurier-install"
chgrp root "$H/users"
rm "$H/man/man7/exitcodes.7"
rm "$H/control/me"
check_exit "instcheck fails on a damaged tree" 100 icheck "$H"
check "a changed mode is reported" reported "control: mode 0777, want 0755"
check "a changed owner is reported" reported "bin/kurier-install: owner uid $(id -u kurierd), want root"
check "a changed group is reported" reported "users: group gid 0, want kurier"
check "a missing file is reported" reported "man/man7/exitcodes.7: missing"
check "a missing generated file is reported" reported "control/me: missing"

# --- symbolic links planted under the tree ----------------------------------------
mkdir -m 0700 "$T/elsewhere" && chown nobody "$T/elsewhere"
echo victim >"$T/victim" && chmod 0600 "$T/victim"
rmdir "$H/users" && ln -s "$T/elsewhere" "$H/users"
rm "$H/bin/kurier-install" && ln -s "$T/victim" "$H/bin/kurier-install"
mv "$H/man" "$T/realman" && ln -s "$T/realman" "$H/man"
icheck "$H"
check "a link where a directory belongs is reported" reported "users: is a symbolic link, want a directory"
check "a link where a file belongs is reported" reported "bin/kurier-install: is a symbolic link, want a file"
check "entries below a linked directory are reported, not followed" reported "man/man8: missing"
check "instcheck did not follow into the linked directory" \
	test "$(stat -c '%a %U' "$T/elsewhere")" = "700 nobody"

check_exit "setup again repairs the tree" 0 setup "$H"
check_exit "instcheck passes after the repair" 0 icheck "$H"
check "the linked-to directory kept its mode and owner" \
	test "$(stat -c '%a %U' "$T/elsewhere")" = "700 nobody"
check "the linked-to file kept its contents and mode" \
	test "$(cat "$T/victim") $(stat -c %a "$T/victim")" = "victim 600"
check "users is a real directory again" test -d "$H/users" -a ! -L "$H/users"
check "bin/kurier-install is a real file again" test -f "$H/bin/kurier-install" -a ! -L "$H/bin/kurier-install"
check "the linked-to man tree got nothing written into it" test ! -e "$T/realman/man7/exitcodes.7"

# --- setup twice keeps what is the administrator's ------------------------------
echo 'mail.edited.example' >"$H/control/me"
key=$(sha256sum <"$H/control/tlskey.pem")
check_exit "setup a third time" 0 setup "$H"
check "an existing control/me is kept" test "$(cat "$H/control/me")" = mail.edited.example
check "an existing key is not regenerated" test "$(sha256sum <"$H/control/tlskey.pem")" = "$key"

# --- t and c entries, bad tables ---------------------------------------------------
printf '#!/bin/sh\nexec %s/bin/prog @HOME@/control\n' '@HOME@' >"$T/run.in"
echo 'default' >"$T/conf.in"
cat >"$T/extra.tab" <<EOF
d service/demo root root 0755
t service/demo/run root root 0755 $T/run.in
c control/democonf root kurier 0640 $T/conf.in
EOF
check_exit "setup with a table of t and c entries" 0 setup "$H" "$T/extra.tab"
check "a t entry has every @HOME@ replaced" test \
	"$(sed -n 2p "$H/service/demo/run")" = "exec $H/bin/prog $H/control"
check "a t entry gets its mode" test "$(stat -c %a "$H/service/demo/run")" = 755
check "a missing c entry is installed" test "$(cat "$H/control/democonf")" = default
echo 'mine' >"$H/control/democonf"; chmod 0666 "$H/control/democonf"
setup "$H" "$T/extra.tab"
check "an existing c entry keeps its contents" test "$(cat "$H/control/democonf")" = mine
check "an existing c entry gets the table's mode" test "$(stat -c %a "$H/control/democonf")" = 640

printf 'd control root kurier 0755\nx control/bad root root 0644\n' >"$T/bad.tab"
check_exit "a table with a bad type is refused" 100 "$I" check "$H" "$T/bad.tab"
printf 'd control root kurier 0755\nf control/x nosuchrole kurier 0644 x\n' >"$T/bad2.tab"
"$I" check "$H" "$T/bad2.tab" 2>"$T/err"
check "a bad line is reported as file:line" grep -qF "$T/bad2.tab: 2:" "$T/err"
printf 'd control root kurier 0700\n' >"$T/conflict.tab"
check_exit "two tables disagreeing on a path are refused" 100 "$I" check "$H" "${TABLES[@]}" "$T/conflict.tab"
printf 'd ../escape root root 0755\n' >"$T/escape.tab"
check_exit "a path leaving the tree is refused" 100 "$I" check "$H" "$T/escape.tab"

# --- a second conf-home is independent ---------------------------------------------
check_exit "setup into a second conf-home" 0 setup "$H2"
check "the second tree has its own key" test "$(sha256sum <"$H2/control/tlskey.pem")" != "$key"
chmod 0700 "$H2/bin"
check_exit "damage in the second tree is seen there" 100 icheck "$H2"
check_exit "the first tree is unaffected" 0 icheck "$H"
