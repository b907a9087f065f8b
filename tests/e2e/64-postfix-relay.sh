#!/bin/bash
# 64-postfix-relay - Postfix as a real SMTP client of kurier-smtpd: a
# private Postfix instance (its own config, queue and log under $T) with
# relayhost = [127.0.0.1]:PORT and smtp_tls_security_level = encrypt
# relays mail injected with its sendmail into kurier-tlsd + kurier-smtpd;
# the messages reach the (stand-in) queue intact, over TLS (ESMTPS), with
# the 8-bit body and a 300 KB body unchanged, and a refused recipient
# comes back to Postfix as a 5xx.
. "$KURIER_SRC/tests/lib.sh"
. "$KURIER_SRC/smtpd/e2e-common.sh"
. "$KURIER_SRC/smtpd/postfix-instance.sh"
TLSD=$TB/kurier-tlsd

if [ "$(id -u)" != 0 ]; then skip postfix-relay "needs root for a private Postfix instance"; exit 0; fi
if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/lib/postfix/sbin/master ]; then skip postfix-relay "Postfix is not installed (Debian package postfix)"; exit 0; fi
if [ ! -x "$TLSD" ]; then notok tlsd-built "no $TLSD"; exit 0; fi
tls_keypair

port=$(free_port)
env -i PATH=/usr/bin:/bin KURIER_HOME="$H" KURIER_PASSWD="$H/passwd" KURIERQUEUE="$T/fakeq" FAKEQ_DIR="$Q" \
	tcpserver -H -R -l0 127.0.0.1 "$port" "$TLSD" "$SMTPD" 2>>"$T/smtpd.log" &
on_exit "kill $!"
wait_port "$port" || notok kurier-listens

PF=$T/pf
pf_make "$PF" 0 "relayhost = [127.0.0.1]:$port" "smtp_tls_security_level = encrypt" \
	"smtp_tls_loglevel = 1" "smtp_tls_mandatory_protocols = >=TLSv1.2"
on_exit "pf_stop $PF"
if ! pf_start "$PF"; then skip postfix-relay "Postfix would not start here: $(tail -2 "$PF/maillog" 2>/dev/null)"; exit 0; fi

printf 'Subject: through postfix\nFrom: a@pf.test\n\nhello from postfix\n\344\366\374 eight bit\n' |
	pf_sendmail "$PF" -f a@pf.test root@example.org
{ printf 'Subject: big\nFrom: a@pf.test\n\n'; for i in $(seq 3000); do printf '%0100d\n' "$i"; done; } |
	pf_sendmail "$PF" -f b@pf.test alice@example.org
printf 'Subject: to nobody\n\nx\n' | pf_sendmail "$PF" -f c@pf.test nosuchuser@example.org

# wait (bounded) for two messages here and the refusal in Postfix's log
for i in $(seq 100); do
	[ "$(queued)" -ge 2 ] && grep -q 'nosuchuser@example.org.*status=bounced' "$PF/maillog" 2>/dev/null && break
	sleep 0.2
done
small=$(grep -l 'Subject: through postfix' "$Q"/*.msg 2>/dev/null | head -1)
big=$(grep -l 'Subject: big' "$Q"/*.msg 2>/dev/null | head -1)
if [ -n "$small" ] && [ -n "$big" ] && [ "$(queued)" = 2 ]; then ok postfix-relayed-two; else notok postfix-relayed-two "$(queued) queued; $(tail -3 "$PF/maillog")"; fi
if [ -n "$small" ] && grep -q 'with ESMTPS;' "$small" && grep -q 'TLS connection established to 127.0.0.1' "$PF/maillog"; then
	ok postfix-used-starttls
else
	notok postfix-used-starttls "$(grep -i tls "$PF/maillog" | tail -2)"
fi
if [ -n "$small" ] && grep -q $'^\344\366\374 eight bit$' "$small" && grep -q '^Received: from pf.test (unknown \[127.0.0.1\])$' "$small"; then
	ok postfix-8bit-and-received
else
	notok postfix-8bit-and-received "$(head -3 "$small" 2>/dev/null)"
fi
if [ -n "$big" ] && [ "$(sed -n '/^$/,$p' "$big" | grep -c '^[0-9]\{100\}$')" = 3000 ]; then ok postfix-big-body-intact; else notok postfix-big-body-intact; fi
if [ -n "$small" ] && [ "$(od -An -c "${small%.msg}.env" | tr -d ' \n')" = 'Fa@pf.test\0Troot@example.org\0\0' ]; then
	ok postfix-envelope
else
	notok postfix-envelope
fi
if grep -q 'nosuchuser@example.org.*said: 550 5.1.1' "$PF/maillog"; then ok postfix-sees-550-5.1.1; else notok postfix-sees-550-5.1.1 "$(grep nosuchuser "$PF/maillog" | tail -1)"; fi
