#!/usr/bin/python3
# queue/standin-spawn.py - a stand-in for kurier-lspawn and kurier-rspawn
# in the queue's tests and benchmark, speaking the spawn contract
# (kurier-start(8)): requests "SLOT\0MSGPATH\0SENDER\0RCPT\0...\0" on fd 0,
# replies "SLOT\0" + one K/Z/D field per recipient + "\0" on fd 1.
# Not installed; not part of kurier.
#
# Environment:
#   STANDIN_QUEUE    the queue directory MSGPATH is relative to (required)
#   STANDIN_LOG      append one line per recipient: "slot msgpath <sender> rcpt verdict"
#   STANDIN_MAILDIR  deliver K recipients into STANDIN_MAILDIR/<rcpt>/new (tmp, fsync, link)
#   STANDIN_RULES    a file of lines "SUBSTRING VERDICT TEXT": the first line
#                    whose SUBSTRING occurs in the recipient decides (VERDICT
#                    K, Z or D); no match means K.  Reread for every request.
#   STANDIN_DELAY    seconds each delivery takes (a float), default 0
import os, sys, threading, time, socket

Q = os.environ["STANDIN_QUEUE"]
LOG = os.environ.get("STANDIN_LOG")
MD = os.environ.get("STANDIN_MAILDIR")
RULES = os.environ.get("STANDIN_RULES")
DELAY = float(os.environ.get("STANDIN_DELAY", "0") or 0)
out_lock = threading.Lock()
seq = [0]

def rules():
    r = []
    if RULES and os.path.exists(RULES):
        for line in open(RULES, encoding="utf-8", errors="replace"):
            p = line.rstrip("\n").split(" ", 2)
            if len(p) >= 2:
                r.append((p[0], p[1], p[2] if len(p) > 2 else "stand-in says so"))
    return r

def deliver(rcpt, data):
    d = os.path.join(MD, rcpt.replace("/", "_"))
    for s in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    with out_lock:
        seq[0] += 1
        n = seq[0]
    name = "%d.%d_%d.%s" % (time.time(), os.getpid(), n, socket.gethostname())
    t = os.path.join(d, "tmp", name)
    fd = os.open(t, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.link(t, os.path.join(d, "new", name))
    os.unlink(t)

def handle(slot, path, sender, rcpts):
    if DELAY:
        time.sleep(DELAY)
    rs = rules()
    try:
        data = open(os.path.join(Q, path), "rb").read()
    except OSError as e:
        data = None
        err = str(e)
    res = []
    for r in rcpts:
        v, text = "K", "delivered by the stand-in"
        for sub, verdict, t in rs:
            if sub in r:
                v, text = verdict, t
                break
        if data is None:
            v, text = "Z", "cannot read message: " + err
        if v == "K" and MD:
            try:
                deliver(r, data)
            except OSError as e:
                v, text = "Z", "maildir: " + str(e)
        res.append(v + text)
        if LOG:
            with out_lock:
                with open(LOG, "a") as f:
                    f.write("%s %s <%s> %s %s\n" % (slot, path, sender, r, v))
    reply = slot.encode() + b"\0" + b"".join(x.encode() + b"\0" for x in res) + b"\0"
    with out_lock:
        os.write(1, reply)

def main():
    buf = b""
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        buf += chunk
        while True:
            # a request ends with an empty field: find "\0\0" after at least 4 fields
            parts = buf.split(b"\0")
            # parts: slot, path, sender, rcpt..., "" (end), rest...
            if len(parts) < 6:
                break
            end = None
            for i in range(4, len(parts) - 1):
                if parts[i] == b"":
                    end = i
                    break
            if end is None:
                break
            f = [p.decode("utf-8", "replace") for p in parts[:end]]
            used = sum(len(p) + 1 for p in parts[:end + 1])
            buf = buf[used:]
            threading.Thread(target=handle, args=(f[0], f[1], f[2], f[3:])).start()
    # finish what is in flight, then go
    for t in threading.enumerate():
        if t is not threading.current_thread():
            t.join()

main()
