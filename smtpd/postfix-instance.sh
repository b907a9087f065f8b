# smtpd/postfix-instance.sh - a private Postfix instance on loopback, for
# the end-to-end test that relays through Postfix into kurier-smtpd
# (tests/e2e/64-postfix-relay.sh) and for bench/smtp, which compares
# kurier-smtpd with Postfix's smtpd.  Source it; it gives
#   pf_make DIR PORT [main.cf lines...]
#         a configuration in DIR/etc, queue in DIR/spool, data in DIR/data,
#         log in DIR/maillog, smtpd on 127.0.0.1:PORT (0: none); no DNS,
#         nothing delivered locally.  Extra main.cf lines override.
#   pf_start DIR / pf_stop DIR
#   pf_sendmail DIR args...   Postfix's sendmail for that instance
# Needs root and the Debian postfix package (not its system instance).
pf_make() {
	local d=$1 port=$2; shift 2
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chmod 755 "$d"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/spool
data_directory = $d/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.test
mydomain = pf.test
myorigin = pf.test
mydestination =
local_transport = error:no local delivery here
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_host_lookup = native
disable_dns_lookups = yes
maillog_file = $d/maillog
maillog_file_prefixes = $d
smtputf8_enable = no
biff = no
smtpd_banner = \$myhostname ESMTP
syslog_name = postfix-kurier-test
EOF
	for l in "$@"; do echo "$l" >>"$d/etc/main.cf"; done
	# master.cf: the Debian one, with the smtpd listener moved off port 25
	sed -e 's/^smtp      inet/#smtp      inet/' -e 's/^#\?submission inet.*/#&/' /etc/postfix/master.cf >"$d/etc/master.cf"
	if [ "$port" != 0 ]; then
		echo "127.0.0.1:$port inet n - n - - smtpd" >>"$d/etc/master.cf"
	fi
	# the log goes to a file through postlogd
	grep -q '^postlog' "$d/etc/master.cf" ||
		echo 'postlog unix-dgram n - n - 1 postlogd' >>"$d/etc/master.cf"
	postfix -c "$d/etc" set-permissions >/dev/null 2>&1
	postfix -c "$d/etc" check >/dev/null 2>&1
}
pf_start() {
	postfix -c "$1/etc" start >/dev/null 2>&1
}
pf_stop() {
	postfix -c "$1/etc" stop >/dev/null 2>&1
}
pf_sendmail() {
	local d=$1; shift
	/usr/sbin/sendmail -C "$d/etc" "$@"
}
