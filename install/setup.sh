#!/bin/bash
# install/setup.sh - what "make setup" does, as root:
#   1. create the groups of conf-groups and the users of conf-users that
#      are missing (system accounts, no login, no home);
#   2. create HOME/control and generate there what no table can ship:
#      control/me (/etc/mailname, else the host name) and a self-signed
#      TLS certificate control/tlscert.pem with its key
#      control/tlskey.pem, each only when missing;
#   3. install the tree from every table given, with kurier-install
#      (which also sets the owner and mode of the generated files).
# usage: install/setup.sh HOME BUILDBIN SRCDIR TABLE...
# exit:  0 done; 100 bad usage or not root; 111 a step failed.
set -u
if [ $# -lt 4 ]; then echo "usage: install/setup.sh HOME BUILDBIN SRCDIR TABLE..." >&2; exit 100; fi
home=$1 bin=$2 src=$3; shift 3
if [ "$(id -u)" != 0 ]; then echo "setup: fatal: make setup must run as root" >&2; exit 100; fi
case $home in /*) ;; *) echo "setup: fatal: conf-home must be an absolute path: $home" >&2; exit 100;; esac

# days a generated certificate is valid; replace it with a real one anyway
CERT_DAYS=3650
# RSA key size for the generated certificate (NIST SP 800-57: 2048 and up)
CERT_BITS=3072

die() { echo "setup: fatal: $*" >&2; exit 111; }

# 1. groups and users
group=$(sed -n 1p "$src/conf-groups") nofiles=$(sed -n 2p "$src/conf-groups")
for g in "$group" "$nofiles"; do
	getent group "$g" >/dev/null || groupadd --system "$g" || die "cannot create group $g"
done
for u in $(sed -n 1,8p "$src/conf-users"); do
	id "$u" >/dev/null 2>&1 && continue
	useradd --system --gid "$group" --home-dir /nonexistent --no-create-home \
		--shell /usr/sbin/nologin "$u" || die "cannot create user $u"
done

# 2. the generated files
mkdir -p "$home/control" || die "cannot create $home/control"
if [ ! -s "$home/control/me" ]; then
	# Debian's mail name, else the kernel's host name: never a DNS query
	me=$(head -n 1 /etc/mailname 2>/dev/null)
	[ -n "$me" ] || me=$(uname -n)
	[ -n "$me" ] || me=localhost
	echo "$me" >"$home/control/me.tmp" && mv "$home/control/me.tmp" "$home/control/me" ||
		die "cannot write $home/control/me"
fi
if [ ! -s "$home/control/tlskey.pem" ] || [ ! -s "$home/control/tlscert.pem" ]; then
	(umask 077
	 openssl req -x509 -newkey "rsa:$CERT_BITS" -nodes -days "$CERT_DAYS" \
		-subj "/CN=$(head -n 1 "$home/control/me")" \
		-keyout "$home/control/tlskey.pem.tmp" -out "$home/control/tlscert.pem.tmp" \
		</dev/null >/dev/null 2>&1 &&
	 mv "$home/control/tlskey.pem.tmp" "$home/control/tlskey.pem" &&
	 mv "$home/control/tlscert.pem.tmp" "$home/control/tlscert.pem") ||
		die "cannot generate a certificate with openssl"
fi

# 3. the tree
"$bin/kurier-install" install "$home" "$bin" "$src" "$@" || exit 111
