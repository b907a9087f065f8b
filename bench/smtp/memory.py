#!/usr/bin/python3
# bench/smtp/memory.py - resident memory per SMTP session: opens SESSIONS
# connections to PORT (plaintext after EHLO, or after STARTTLS and EHLO),
# keeps them open, and sums the memory of the processes serving them:
# every descendant of ROOTPID, or with "smtpd" only its children named
# smtpd (Postfix's master).  Prints "rss_kib pss_kib processes" per
# session (PSS splits shared pages among the processes that share them).
# usage: memory.py PORT SESSIONS plain|tls ROOTPID all|smtpd
import os, smtplib, ssl, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2])
tls, root, which = sys.argv[3] == "tls", int(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def children(pid):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        if int(rest[1]) == pid:
            out.append((int(p), st[st.index("(") + 1:st.rindex(")")]))
    return out


def serving():
    if which == "smtpd":
        return [p for p, name in children(root) if name == "smtpd"]
    todo, found = [root], []
    while todo:
        for p, _ in children(todo.pop()):
            found.append(p)
            todo.append(p)
    return found


def mem(pid):
    rss = pss = 0
    try:
        for l in open("/proc/%d/status" % pid):
            if l.startswith("VmRSS:"):
                rss = int(l.split()[1])
        for l in open("/proc/%d/smaps_rollup" % pid):
            if l.startswith("Pss:"):
                pss = int(l.split()[1])
    except OSError:
        pass
    return rss, pss


conns = []
for i in range(n):
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench", timeout=30)
    if tls:
        s.starttls(context=ctx)
    s.ehlo("client.bench")
    conns.append(s)
time.sleep(1)
procs = serving()
rss = pss = 0
for p in procs:
    r, q = mem(p)
    rss += r
    pss += q
print("%d %d %.1f" % (rss // n, pss // n, len(procs) / n))
for s in conns:
    try:
        s.quit()
    except (smtplib.SMTPException, OSError):
        pass
