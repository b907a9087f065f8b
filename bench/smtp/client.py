#!/usr/bin/python3
# bench/smtp/client.py - the SMTP client for bench/smtp's STARTTLS rows
# (smtp-source cannot STARTTLS), used the same way against kurier and
# Postfix: THREADS sessions send MESSAGES messages of SIZE body bytes in
# all, each over STARTTLS; "reuse" keeps one connection per session,
# "new" opens one per message.  Prints the seconds it took; exits 1 if any
# message was not accepted.  Every message goes to RCPT (default
# rcpt@far.example: a relayed address, which bench/smtp/run only queues;
# bench/smtp/delivered gives its local bench user).
# usage: client.py PORT MESSAGES THREADS SIZE reuse|new [RCPT]
import smtplib, ssl, sys, threading, time

port, total, threads, size = map(int, sys.argv[1:5])
reuse = sys.argv[5] == "reuse"
rcpt = sys.argv[6] if len(sys.argv) > 6 else "rcpt@far.example"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
line = b"x" * 76 + b"\r\n"
body = b"Subject: bench\r\nFrom: a@bench.example\r\n\r\n" + line * max(1, size // len(line))
lock = threading.Lock()
left = [total]
failed = [0]


def take():
    with lock:
        if left[0] <= 0:
            return False
        left[0] -= 1
        return True


def session():
    s = None
    while take():
        try:
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.bench", timeout=60)
                s.starttls(context=ctx)
            s.sendmail("a@bench.example", [rcpt], body)
            if not reuse:
                s.quit()
                s = None
        except (smtplib.SMTPException, OSError):
            with lock:
                failed[0] += 1
            s = None
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


start = time.monotonic()
ts = [threading.Thread(target=session) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("%.4f" % (time.monotonic() - start))
sys.exit(1 if failed[0] else 0)
