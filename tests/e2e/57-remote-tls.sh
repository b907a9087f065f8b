#!/bin/bash
# 57-remote-tls - kurier-remote's STARTTLS and AUTH against aiosmtpd (a
# real ESMTP server that refuses mail without TLS): opportunistic TLS
# (and its plain-text retry after a broken handshake),
# /tls=verify with a good and a bad name, /tls=must without STARTTLS,
# AUTH PLAIN and LOGIN from control/esmtpauth, refusing to send a
# password in the clear or from a file others can read, and a server
# that injects bytes after its 220 to STARTTLS (SECURITY.md 18).
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/deliver/remote-e2e.sh"
command -v dnsmasq >/dev/null || { skip remote-tls "dnsmasq is not installed"; exit 0; }
"$PY" -c 'import aiosmtpd' 2>/dev/null || { skip remote-tls "python3-aiosmtpd is not installed"; exit 0; }

r_dns --mx-host=a.test,mx1.a.test,10 --host-record=mx1.a.test,127.0.0.1 \
	--mx-host=b.test,other.b.test,10 --host-record=other.b.test,127.0.0.1
r_ctl timeoutremote 5

# a CA and a certificate for mx1.a.test
cd "$T" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kurier-test-ca \
	-keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=mx1.a.test -keyout mx.key -out mx.csr 2>/dev/null
printf 'subjectAltName=DNS:mx1.a.test\n' >ext
openssl x509 -req -in mx.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext -out mx.pem 2>/dev/null
[ -s mx.pem ] || { notok remote-tls-setup "openssl could not make a certificate"; exit 1; }
cd "$KURIER_SRC" || exit 1

cat >"$T/aio.py" <<'PY'
import asyncio, os, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
port, outdir, cert, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(outdir))
        with open(os.path.join(outdir, "msg.%d" % n), "wb") as f:
            f.write(b"tls=%d auth=%s rcpts=%s\n" % (session.ssl is not None,
                (session.auth_data.login if session.authenticated else b"-"),
                ",".join(envelope.rcpt_tos).encode()))
            f.write(envelope.original_content)
        return "250 2.0.0 stored"
def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=(data.login == b"kurier" and data.password == b"s3cret pass"), handled=False, auth_data=data)
kw = dict(tls_context=ctx, require_starttls=True, authenticator=auth, auth_require_tls=True,
          auth_required=mode != "noauth")
if mode == "login":
    kw["auth_exclude_mechanism"] = ["PLAIN"]
c = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
c.start()
open(os.path.join(outdir, "ready"), "w").close()
while True:
    time.sleep(3600)
PY
# aio NAME MODE - aiosmtpd on a free port; port in R_PORT
aio() {
	local pid
	mkdir -p "$T/$1"
	R_PORT=$(free_port)
	"$PY" "$T/aio.py" "$R_PORT" "$T/$1" "$T/mx.pem" "$T/mx.key" "$2" 2>"$T/$1.err" &
	pid=$!
	on_exit "kill $pid"
	for _ in $(seq 50); do [ -e "$T/$1/ready" ] && break; sleep 0.1; done
	wait_port "$R_PORT"
}
msg() { printf 'Subject: tls\n\nbody\n'; }
got() { cat "$T/$1"/msg.* 2>/dev/null; }

# opportunistic: STARTTLS because it is offered (the server refuses mail without it)
aio open noauth
r_ctl remoteport "$R_PORT"
out=$(msg | r_send a.test s@x.test u@a.test)
[[ $out == 'rmx1.a.test [127.0.0.1]: 250 2.0.0 stored'* ]] && got open | grep -q '^tls=1 auth=-' &&
	ok tls-opportunistic || notok tls-opportunistic "$out $(cat "$T/open.err")"

# /tls=verify: our CA, the right name
cp "$T/ca.pem" "$R_CTL/remoteca.pem"
r_ctl esmtproutes "a.test: /tls=verify
b.test: /tls=verify"
out=$(msg | r_send a.test s@x.test v@a.test)
[[ $out == r* ]] && got open | grep -q 'rcpts=v@a.test' && ok tls-verify || notok tls-verify "$out"
# the wrong name: the MX is other.b.test, the certificate says mx1.a.test
n0=$(got open | grep -c '^tls=')
out=$(msg | r_send b.test s@x.test w@b.test)
[[ $out == s*'TLS handshake failed: certificate: hostname mismatch'* ]] && [ "$(got open | grep -c '^tls=')" = "$n0" ] &&
	ok tls-verify-wrong-name || notok tls-verify-wrong-name "$out"
# an unknown CA
rm -f "$R_CTL/remoteca.pem"
out=$(msg | r_send a.test s@x.test w@a.test)
[[ $out == s*'TLS handshake failed: certificate:'* ]] && ok tls-verify-unknown-ca || notok tls-verify-unknown-ca "$out"

# /tls=must, but the server offers no STARTTLS
r_srv notls
r_ctl esmtproutes "a.test: ,$R_PORT /tls=must"
out=$(msg | r_send a.test s@x.test u@a.test)
[[ $out == s*'does not offer STARTTLS, which esmtproutes requires'* ]] && ! cat "$T"/notls/conn.* | grep -q '^MAIL' &&
	ok tls-must || notok tls-must "$out"

# bytes after the 220 to STARTTLS: abort before the handshake (SECURITY.md 18)
r_srv inject hostile=inject tls="$T/mx.pem:$T/mx.key"
r_ctl esmtproutes "a.test: ,$R_PORT"
out=$(msg | r_send a.test s@x.test u@a.test)
[[ $out == s*'sent data after its reply to STARTTLS'* ]] && ! cat "$T"/inject/conn.* | grep -q -a '^MAIL\|^EHLO.*\[TLS\]' &&
	ok tls-injection-abort || notok tls-injection-abort "$out"

# a broken TLS handshake under /tls=try: the same host again, in plain text
r_srv badtls hostile=badtls tls="$T/mx.pem:$T/mx.key"
r_ctl esmtproutes "a.test: ,$R_PORT"
out=$(msg | r_send a.test s@x.test u@a.test)
[[ $out == 'rmx1.a.test [127.0.0.1]: 250 queued as X'* ]] && [ "$(cat "$T"/badtls/conn.* | grep -c '^STARTTLS')" = 1 ] &&
	ok tls-try-falls-back-to-plain || notok tls-try-falls-back-to-plain "$out"
r_ctl esmtproutes "a.test: ,$R_PORT /tls=must"
out=$(msg | r_send a.test s@x.test u@a.test)
[[ $out == s*'TLS handshake failed'* ]] && [ "$(ls "$T"/badtls/msg.* | wc -l)" = 1 ] &&
	ok tls-must-no-plain-retry || notok tls-must-no-plain-retry "$out"

# AUTH PLAIN to a smarthost with control/esmtpauth (owner kurierr, 0600)
aio auth auth
r_ctl esmtproutes ": mx1.a.test,$R_PORT"
printf 'mx1.a.test kurier s3cret pass\n' >"$R_CTL/esmtpauth"
chown kurierr "$R_CTL/esmtpauth"; chmod 600 "$R_CTL/esmtpauth"
out=$(msg | r_send far.test s@x.test u@far.test)
[[ $out == r* ]] && got auth | grep -q '^tls=1 auth=kurier rcpts=u@far.test' && ok tls-auth-plain || notok tls-auth-plain "$out $(cat "$T/auth.err")"
chmod 644 "$R_CTL/esmtpauth"
out=$(msg | r_send far.test s@x.test u@far.test)
[[ $out == s*'control/esmtpauth is open to others; it must be mode 0600'* ]] && ok tls-auth-mode || notok tls-auth-mode "$out"
printf 'mx1.a.test kurier wrong\n' >"$R_CTL/esmtpauth"; chmod 600 "$R_CTL/esmtpauth"
out=$(msg | r_send far.test s@x.test u@far.test)
[[ $out == s*'refused AUTH PLAIN: 535'* ]] && ok tls-auth-bad-password || notok tls-auth-bad-password "$out $(tail -5 "$T/auth.err")"
aio login login
r_ctl esmtproutes ": mx1.a.test,$R_PORT"
printf 'mx1.a.test kurier s3cret pass\n' >"$R_CTL/esmtpauth"
out=$(msg | r_send far.test s@x.test l@far.test)
[[ $out == r* ]] && got login | grep -q '^tls=1 auth=kurier rcpts=l@far.test' && ok tls-auth-login || notok tls-auth-login "$out"

# never a password without TLS
r_srv clear
r_ctl esmtproutes ": mx1.a.test,$R_PORT"
out=$(msg | r_send far.test s@x.test u@far.test)
[[ $out == s*'no TLS, so the password in control/esmtpauth was not sent'* ]] && ! cat "$T"/clear/conn.* | grep -q '^AUTH' &&
	ok tls-auth-not-in-clear || notok tls-auth-not-in-clear "$out"
