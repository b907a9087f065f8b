#!/usr/bin/python3
"""remote-testsrv.py - a scripted SMTP server for kurier-remote's tests.

Usage: remote-testsrv.py PORT OUTDIR [key=value ...]

It listens on 127.0.0.1:PORT (and [::1]:PORT with v6=1), answers as the
options say, and records what it got: OUTDIR/conn.N holds every byte a
connection sent (after STARTTLS, the decrypted bytes), OUTDIR/msg.N the
raw DATA of each message up to and including the final dot line.

Options: greet=CODE ehlo=CODE mail=CODE data=CODE dot=CODE
  caps=PIPELINING,8BITMIME,SIZE 1000 (comma-separated EHLO keywords)
  tls=CERT:KEY (offer STARTTLS with that certificate)
  hostile=short|nofinal|long|manycont|silent|inject|rcptnul|barelf|badtls
  addr=127.0.0.2 (the IPv4 address to listen on; default 127.0.0.1)
Recipients whose local part starts with "t" get 451, with "p" 550.
Test scaffolding only: it trusts its input and is never installed.
"""
import os, socket, ssl, sys, threading

port = int(sys.argv[1])
outdir = sys.argv[2]
opt = dict(a.split("=", 1) for a in sys.argv[3:])
lock = threading.Lock()
count = [0, 0]


def nextname(kind):
    with lock:
        i = 0 if kind == "conn" else 1
        count[i] += 1
        return os.path.join(outdir, "%s.%d" % (kind, count[i]))


class Conn:
    def __init__(self, s):
        self.s = s
        self.buf = b""
        self.log = open(nextname("conn"), "wb", buffering=0)

    def send(self, b):
        self.s.sendall(b)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.log.write(d)
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return l + b"\n"


def code(name, default):
    return opt.get(name, default)


def serve(s):
    c = Conn(s)
    h = opt.get("hostile", "")
    eol = b"\n" if h == "barelf" else b"\r\n"
    try:
        if h == "silent":
            s.recv(1)
            return
        if h == "short":
            c.send(b"220-\r\n2\r\n")
        elif h == "nofinal":
            c.send(b"220-one\r\n220-two\r\n")
            return
        elif h == "long":
            c.send(b"220 " + b"x" * (64 << 20) + b"\r\n")
        else:
            c.send(code("greet", "220").encode() + b" testsrv ready" + eol)
        tls = False
        while True:
            l = c.line()
            cmd = l.strip().upper()
            if cmd.startswith(b"EHLO"):
                e = code("ehlo", "250")
                if e != "250":
                    c.send(e.encode() + b" no EHLO here\r\n")
                    continue
                caps = [k for k in code("caps", "PIPELINING,8BITMIME,SIZE 10000000").split(",") if k]
                if "tls" in opt and not tls:
                    caps.append("STARTTLS")
                if h == "manycont":
                    c.send(b"250-x\r\n" * 10000 + b"250 end\r\n")
                    continue
                lines = [b"testsrv"] + [k.encode() for k in caps]
                out = b""
                for i, k in enumerate(lines):
                    out += b"250" + (b" " if i == len(lines) - 1 else b"-") + k + eol
                c.send(out)
            elif cmd.startswith(b"HELO"):
                c.send(b"250 testsrv" + eol)
            elif cmd == b"STARTTLS":
                if h == "inject":
                    c.send(b"220 go ahead\r\n250 injected\r\n")
                    return
                if h == "badtls":
                    c.send(b"220 go ahead\r\n")
                    c.line()
                    c.send(b"this is not TLS\r\n")
                    return
                c.send(b"220 go ahead\r\n")
                cert, key = opt["tls"].split(":")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert, key)
                c.s = ctx.wrap_socket(c.s, server_side=True)
                c.log.write(b"[TLS]\r\n")
                tls = True
            elif cmd.startswith(b"MAIL"):
                c.send(code("mail", "250").encode() + b" sender ok" + eol)
            elif cmd.startswith(b"RCPT"):
                a = l.split(b"<", 1)[1] if b"<" in l else b""
                if h == "rcptnul" and a.startswith(b"p"):
                    c.send(b"550 5.1.1 no\x00such\x1b[2Juser\x7f here\r\n")
                elif a.startswith(b"t"):
                    c.send(b"451 4.2.0 try later" + eol)
                elif a.startswith(b"p"):
                    c.send(b"550 5.1.1 no such user" + eol)
                else:
                    c.send(b"250 rcpt ok" + eol)
            elif cmd == b"DATA":
                d = code("data", "354")
                c.send(d.encode() + b" go on" + eol)
                if d != "354":
                    continue
                m = open(nextname("msg"), "wb")
                while True:
                    l = c.line()
                    m.write(l)
                    if l == b".\r\n":
                        break
                m.close()
                c.send(code("dot", "250").encode() + b" queued as X" + eol)
            elif cmd == b"RSET" or cmd == b"NOOP":
                c.send(b"250 ok" + eol)
            elif cmd == b"QUIT":
                c.send(b"221 bye" + eol)
                return
            else:
                c.send(b"500 what" + eol)
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        try:
            c.s.close()
        except OSError:
            pass


def listen(family, addr):
    ls = socket.socket(family)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(64)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s,), daemon=True).start()


if opt.get("v6") == "1":
    threading.Thread(target=listen, args=(socket.AF_INET6, "::1"), daemon=True).start()
listen(socket.AF_INET, opt.get("addr", "127.0.0.1"))
