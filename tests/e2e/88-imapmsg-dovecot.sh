#!/bin/bash
# 88-imapmsg-dovecot.sh - kurier's imapmsg and Dovecot answer the same
# FETCH items for the same messages: BODYSTRUCTURE, BODY, ENVELOPE,
# RFC822.SIZE and sixteen BODY[section]s, compared as parsed IMAP values
# (a quoted string equals a literal of the same bytes), and SEARCH BODY,
# TEXT and HEADER with ASCII and UTF-8 needles.  The messages are
# the golden table of imapd/test-imapmsg.c (written out by its -w mode)
# and a few more below, and 300 random ones.  Dovecot runs privately: its imap binary in
# preauth mode on a scratch maildir, talked to over a pipe, as nobody.
# Known, deliberate differences are listed in ALLOWED with their reason.
. "$KURIER_SRC"/tests/lib.sh
[ "$(id -u)" = 0 ] || { skip "imapmsg vs dovecot" "needs root (Dovecot refuses to serve mail as root, so it runs as nobody)"; exit 0; }
[ -x /usr/lib/dovecot/imap ] || { skip "imapmsg vs dovecot" "Debian dovecot-imapd is not installed"; exit 0; }
id nobody >/dev/null 2>&1 || { skip "imapmsg vs dovecot" "no user nobody"; exit 0; }
command -v python3 >/dev/null || { skip "imapmsg vs dovecot" "no python3"; exit 0; }
P=$KURIER_BUILD/tests/imapd/test-imapmsg
[ -x "$P" ] || { notok "imapmsg vs dovecot" "$P was not built"; exit 1; }

M=$T/msgs
mkdir -p "$M"
"$P" -w "$M" || { notok "imapmsg vs dovecot: golden messages" "test-imapmsg -w failed"; exit 1; }

# more messages, as mail clients write them
printf 'From: Fwd Er <fwd@example.org>\nTo: you@example.net\nSubject: Fwd: minutes\nDate: Wed, 3 Mar 2021 08:00:00 +0100\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="------------fwd"\n\nThis is a multi-part message in MIME format.\n--------------fwd\nContent-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 7bit\n\nSee below.\n\n--------------fwd\nContent-Type: message/rfc822; name="minutes.eml"\nContent-Disposition: attachment; filename="minutes.eml"\n\nFrom: Sec <sec@example.org>\nTo: board@example.org\nSubject: minutes\nMessage-ID: <m@example.org>\nContent-Type: text/plain\n\nItem 1.\nItem 2.\n\n--------------fwd--\n\n' > "$M/x1"
printf 'From: =?UTF-8?B?TmV3cyBUZWFt?= <news@example.com>\nTo: "Reader, A." <a@example.net>\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and more\nContent-Type: multipart/related; type="multipart/alternative"; boundary=rel\n\n--rel\nContent-Type: multipart/alternative; boundary=alt\n\n--alt\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nHello =E2=9C=93\n--alt\nContent-Type: text/html; charset=utf-8\n\n<img src="cid:logo@x">\n--alt--\n\n--rel\nContent-Type: image/png; name="=?UTF-8?Q?l=C3=B6go.png?="\nContent-Transfer-Encoding: base64\nContent-ID: <logo@x>\nContent-Disposition: inline; filename="logo.png"; size=4\n\niVBORw==\n--rel--\n' > "$M/x2"
printf 'From: J\xc3\xb6rg <joerg@example.org>\nSubject: caf\xe9 cr\xe8me\nTo: x@example.org\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nCaf\xe9\n' > "$M/x3"
printf 'From: a@example.org\r\nSubject: CRLF and QP\r\nContent-Type: text/plain (a comment); charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA long line that is soft=\r\nbroken.\r\n' > "$M/x4"
printf 'Date: 5 Jun 99 13:45 EDT\nFrom: Old Mailer <old@example.org>\nCc: one@example.org\nCc: two@example.org\nIn-Reply-To: <a@x> <b@x>\nReferences: <a@x> <b@x>\nMessage-Id:\n  <folded@example.org>\nSubject: a\n  folded\n\tsubject\n\nx\n' > "$M/x5"
printf 'From: b@example.org\nContent-Type: multipart/mixed;\n boundary="=_(x)+,-./:=?_"\n\npreamble\n--=_(x)+,-./:=?_\nContent-Type: text/plain\n\none\n--=_(x)+,-./:=?_\n\n--=_(x)+,-./:=?_--\nepilogue\n' > "$M/x6"
printf 'From: outer@example.org\nContent-Type: message/rfc822\n\nFrom: middle@example.org\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: deepest\n\nbottom line\n' > "$M/x7"
printf 'From: c@example.org\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a b.pdf"; creation-date="Wed, 12 Feb 1997 16:29:51 -0500"\nContent-Language: fr\nContent-Location: report.pdf\nContent-Description: =?utf-8?q?R=C3=A9sum=C3=A9?=\nContent-Transfer-Encoding: base64\n\nJVBERg==\n' > "$M/x8"
: > "$M/x9"
# malformed ones: an empty header, an orphan continuation, a line with no
# colon, bare CR, NUL bytes in the body, a part with no blank line, blanks
# after delimiters, an empty message/rfc822, junk after a domain, a blank
# before the Date, RFC 2231 oddities, an empty boundary, an unclosed quote
printf '\n\n' > "$M/y1"
printf ' leading continuation\nSubject: x\n\nbody\n' > "$M/y2"
printf 'Subject x (no colon)\nFrom: a@b\n\nb\n' > "$M/y3"
printf 'From: a@b\r\rSubject: y\r\n\r\nz\r\n' > "$M/y4"
printf 'Subject: nul\0byte\n\nx\0y\n' > "$M/y5"
printf 'Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n--x--\n' > "$M/y6"
printf 'Content-Type: multipart/mixed; boundary=x\n\n--x  \n\nA\n--x--  \nB\n' > "$M/y7"
printf 'Content-Type: message/rfc822\n\n' > "$M/y8"
printf 'From: <>\nTo: a@b@c\nSender: x@y z\n\n' > "$M/y9"
printf 'From:a@b\nSubject:\ttabbed\t\t subject \t\nDate:   Tue,  1 Jan 2019 10:00:00 +0000  \n\n' > "$M/ya"
printf 'Content-Type: text/plain; name*=utf-8%%27%%27a%%20b; name=c\n\n' > "$M/yb"
printf 'Content-Disposition: attachment; filename*0="a"; filename*1="b"; filename*2*=%%41\nContent-Type: text/plain\n\nx' > "$M/yc"
printf 'Content-Type: multipart/mixed; boundary=""\n\n--\n\nA\n----\n' > "$M/yd"
printf 'Content-Type: text/plain; charset="utf-8\n\nx' > "$M/ye"
# and 300 random ones from Python's email package: trees of multipart,
# text in three charsets, attachments, images and attached messages, with
# RFC 2047 headers, groups, CRLF or LF line ends (seeded: the same each run)
cat > "$T/gen.py" <<'EOF'
# gen.py DIR N SEED - random MIME messages written with Python's email package
import random, sys, os
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.header import Header
from email.utils import formataddr, formatdate
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
R = random.Random(seed)
W = ['alpha', 'beta', 'Gamma', 'délta', 'ε', 'zeta', 'Ωmega', 'naïve', 'x', 'long' * 5]
def text():
    return ' '.join(R.choice(W) for _ in range(R.randint(0, 30))) + ('\n' if R.random() < .7 else '')
def addr():
    name = R.choice(['', 'Ann Example', 'Doe, John', 'Jörg Müller', 'O\'Brien', '"quoted"'])
    a = R.choice(['a', 'b.c', 'x+y']) + '@' + R.choice(['example.org', 'example.net'])
    return formataddr((name, a)) if name else a
def leaf(depth):
    k = R.random()
    if k < .5:
        cs = R.choice(['us-ascii', 'utf-8', 'iso-8859-1'])
        t = text()
        if cs != 'utf-8':
            t = t.encode(cs, 'replace').decode(cs)
        return MIMEText(t, R.choice(['plain', 'html']), cs)
    if k < .7:
        p = MIMEApplication(os.urandom(R.randint(0, 300)), R.choice(['pdf', 'octet-stream', 'zip']))
        p.add_header('Content-Disposition', 'attachment', filename=R.choice(['a.pdf', 'résumé.pdf', 'x y.zip']))
        return p
    if k < .8:
        p = MIMEImage(b'\x89PNG\r\n' + os.urandom(40), 'png')
        p.add_header('Content-ID', '<img%d@x>' % R.randint(0, 99))
        return p
    if depth < 3:
        return MIMEMessage(message(depth + 1))
    return MIMEText(text())
def tree(depth):
    if depth >= 3 or R.random() < .4:
        return leaf(depth)
    m = MIMEMultipart(R.choice(['mixed', 'alternative', 'related']))
    if R.random() < .3:
        m.preamble = 'This is a MIME message.'
    for _ in range(R.randint(1, 4)):
        m.attach(tree(depth + 1))
    if R.random() < .3:
        m.epilogue = 'epilogue'
    return m
def message(depth=0):
    m = tree(depth)
    m['From'] = addr()
    if R.random() < .7:
        m['To'] = ', '.join(addr() for _ in range(R.randint(1, 3)))
    if R.random() < .3:
        m['Cc'] = 'team: ' + addr() + ', ' + addr() + ';'
    if R.random() < .9:
        m['Subject'] = Header(text().strip(), 'utf-8') if R.random() < .5 else text().strip().encode('ascii', 'replace').decode()
    if R.random() < .8:
        m['Date'] = formatdate(R.randint(0, 2000000000), localtime=False)
    if R.random() < .8:
        m['Message-ID'] = '<%d@example.org>' % R.randint(0, 10**9)
    if R.random() < .2:
        m['In-Reply-To'] = '<%d@example.org>' % R.randint(0, 10**9)
    if R.random() < .2:
        m['Reply-To'] = addr()
    return m
for i in range(n):
    b = message().as_bytes()
    if R.random() < .5:
        b = b.replace(b'\n', b'\r\n')
    open(os.path.join(d, 'g%03d' % i), 'wb').write(b)
EOF
python3 "$T/gen.py" "$M" 300 11 || { notok "imapmsg vs dovecot: random messages" "gen.py failed"; exit 1; }

# deliberate differences: "file items" (space-separated FETCH items)
ALLOWED='
02 BODYSTRUCTURE BODY BODY[3] BODY[3.TEXT]
08 BODYSTRUCTURE BODY
'
# 02: the line end before "--outer--" that directly follows the attached
#     message'"'"'s "--deep--" belongs to the outer delimiter (RFC 2046 §5.1.1);
#     Dovecot counts it into the attached message.
# 08: an unparsable Content-Type is text/plain; charset=us-ascii (RFC 2045
#     §5.2); Dovecot reports it as type "" subtype "".

D=$T/dovecot
mkdir -p "$D/Maildir/cur" "$D/Maildir/new" "$D/Maildir/tmp" "$D/run" "$D/state"
cat > "$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/log
ssl = no
protocols = imap
mail_location = maildir:$D/Maildir
EOF
files=$(cd "$M" && ls | sort)
i=0
for f in $files; do
	i=$((i + 1))
	cp "$M/$f" "$D/Maildir/cur/$(printf %04d $i).$f:2,S"
done
chown -R nobody "$D"
SPECS='[] [HEADER] [TEXT] [1] [1.MIME] [2] [2.MIME] [1.1] [1.2] [1.2.MIME] [3] [3.HEADER] [3.TEXT] [3.1] [HEADER.FIELDS (FROM TO)] [HEADER.FIELDS.NOT (SUBJECT)]'
items=$(echo "$SPECS" | sed 's/\[\([^]]*\)\]/BODY.PEEK[\1]/g')
printf 'a SELECT INBOX\r\nb FETCH 1:* (BODYSTRUCTURE BODY ENVELOPE RFC822.SIZE %s)\r\nc LOGOUT\r\n' "$items" |
	(cd "$D" && timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i USER=nobody HOME="$D" /usr/lib/dovecot/imap -c "$D/dovecot.conf") > "$T/dovecot.out" 2>"$T/dovecot.err"
grep -q '^b OK' "$T/dovecot.out" ||
	{ notok "imapmsg vs dovecot: dovecot answers" "$(head -c 600 "$T/dovecot.err" "$T/dovecot.out")"; exit 1; }
ok "imapmsg vs dovecot: dovecot answers FETCH for $i messages"
(cd "$M" && "$P" -p $files) > "$T/kurier.out" ||
	{ notok "imapmsg vs dovecot: test-imapmsg -p" "exit $?"; exit 1; }

cat > "$T/cmp.py" <<'EOF'
# cmp.py KURIER DOVECOT ALLOWED NAME... - compare two sets of FETCH responses item by item
import re, sys

def parse(b):
    """the FETCH responses in b as {number: {item: value}}; NIL None, strings bytes, lists lists"""
    pos = 0
    def val():
        nonlocal pos
        while b[pos:pos + 1] == b' ':
            pos += 1
        c = b[pos:pos + 1]
        if c == b'(':
            pos += 1
            out = []
            while True:
                while b[pos:pos + 1] == b' ':
                    pos += 1
                if b[pos:pos + 1] == b')':
                    pos += 1
                    return out
                out.append(val())
        if c == b'"':
            pos += 1
            s = bytearray()
            while b[pos:pos + 1] != b'"':
                if b[pos:pos + 1] == b'\\':
                    pos += 1
                s += b[pos:pos + 1]
                pos += 1
            pos += 1
            return bytes(s)
        if c == b'{':
            j = b.index(b'}', pos)
            n = int(b[pos + 1:j])
            pos = j + 3
            s = b[pos:pos + n]
            pos += n
            return bytes(s)
        j = pos
        if b[pos:pos + 5] == b'BODY[':
            j = b.index(b']', pos) + 1
        while j < len(b) and b[j:j + 1] not in b' ()\r':
            j += 1
        a = b[pos:j]
        pos = j
        return None if a == b'NIL' else ('atom', a)
    msgs = {}
    start = re.compile(rb'(?:^|\n)\* (\d+) FETCH ')
    while True:
        mo = start.search(b, pos)
        if not mo:
            return msgs
        pos = mo.end()
        lst = val()
        msgs[int(mo.group(1))] = {lst[k][1].decode(): lst[k + 1] for k in range(0, len(lst) - 1, 2)}

def norm(v):
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, tuple):
        return v[1]
    return v

k = parse(open(sys.argv[1], 'rb').read())
d = parse(open(sys.argv[2], 'rb').read())
allowed = {}
for line in sys.argv[3].split('\n'):
    if line.strip():
        f, *its = line.split(' ')
        allowed[f] = set(its)
for n, name in enumerate(sys.argv[4:], 1):
    if n not in k or n not in d:
        print('not ok dovecot agrees on %s: no answer' % name)
        continue
    bad, excused = [], []
    for item, dv in d[n].items():
        if item in ('FLAGS', 'UID'):
            continue
        kv = k[n].get(item, 'missing')
        if item.startswith('BODY[') and not kv and not dv:
            continue	# no such section: Dovecot says "" or NIL
        if norm(kv) != norm(dv):
            (excused if item in allowed.get(name, ()) else bad).append(item)
            if item not in allowed.get(name, ()):
                print('#  %s %s\n#    kurier  %r\n#    dovecot %r' % (name, item, norm(kv), norm(dv)))
    if bad:
        print('not ok dovecot agrees on %s: %s' % (name, ' '.join(bad)))
    else:
        print('ok dovecot agrees on %s: %d items%s' % (name, len(d[n]),
              ' (known differences: %s)' % ' '.join(excused) if excused else ''))
EOF
python3 "$T/cmp.py" "$T/kurier.out" "$T/dovecot.out" "$ALLOWED" $files

# SEARCH: "KIND FIELD NEEDLE" per line (FIELD "-" unless HEADER); needles
# differ in case only in ASCII letters, since Dovecot folds Unicode too
cat > "$T/queries" <<'EOF'
BODY - needle in base64
BODY - NEEDLE IN BASE64
BODY - %PDF
BODY - softbreak
BODY - MIME message
BODY - epilogue
BODY - inner message
BODY - carl@example.com
BODY - café au lait
BODY - CAFé
BODY - Item 2.
BODY - bottom line
BODY - Caf
BODY - ✓
BODY - <IMG src
BODY - délta
BODY - NAïVE beta
BODY - GAMMA
BODY - longlonglonglonglong
BODY - PNG
TEXT - zeta Ωmega
TEXT - résumé
TEXT - hello
TEXT - inner message
TEXT - part2@example
TEXT - bmVlZGxl
TEXT - Content-Type
TEXT - example.org
TEXT - minutes
TEXT - deepest
HEADER SUBJECT wörld again
HEADER Subject Grüße
HEADER SUBJECT café
HEADER FROM andré
HEADER FROM Jörg
HEADER X-Latin grüß
HEADER TO undisclosed
HEADER CC two@
HEADER Content-Description Résumé
HEADER Message-ID folded
HEADER SUBJECT ε
HEADER SUBJECT Alpha
HEADER Content-Disposition x y.zip
HEADER To O'Brien
EOF
cat > "$T/search.py" <<'EOF'
# search.py TEST-IMAPMSG DOVECOT-CONF HOME QUERIES FILE... - SEARCH answers of both, query by query
import subprocess, sys
prog, conf, home, qfile, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
queries = [l.rstrip('\n').split(' ', 2) for l in open(qfile, encoding='utf-8') if l.strip()]
cmd = b'a SELECT INBOX\r\n'
for n, (kind, field, needle) in enumerate(queries):
    nb = needle.encode()
    key = (b'HEADER ' + field.encode() + b' ') if kind == 'HEADER' else kind.encode() + b' '
    cmd += b'q%d SEARCH CHARSET UTF-8 %s{%d+}\r\n%s\r\n' % (n, key, len(nb), nb)
cmd += b'z LOGOUT\r\n'
out = subprocess.run(['timeout', '30', 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups',
                      'env', '-i', 'USER=nobody', 'HOME=' + home, '/usr/lib/dovecot/imap', '-c', conf],
                     input=cmd, capture_output=True, cwd=home).stdout
dv = [l.decode().strip() for l in out.split(b'\r\n') if l.startswith(b'* SEARCH')]
if len(dv) != len(queries):
    print('not ok dovecot SEARCH: %d answers for %d queries: %r' % (len(dv), len(queries), out[-500:]))
    sys.exit(0)
for (kind, field, needle), want in zip(queries, dv):
    got = subprocess.run([prog, '-s', kind, field, needle] + files, capture_output=True).stdout.decode().strip()
    name = 'dovecot agrees on SEARCH %s%s "%s"' % (kind, '' if field == '-' else ' ' + field, needle)
    if got == want:
        print('ok %s: %s' % (name, want))
    else:
        print('not ok %s: kurier "%s", dovecot "%s"' % (name, got, want))
EOF
(cd "$M" && python3 "$T/search.py" "$P" "$D/dovecot.conf" "$D" "$T/queries" $files)
