# procsock.py - for the end-to-end tests: which processes hold which end
# of a connection, read from /proc (root sees every process).  Used to
# check that kurier-tlsd stays out of the data path of a plaintext
# session (the server holds the TCP socket itself, kurier-tlsd reads
# nothing) and that after STARTTLS the server holds a unix socket.
import os, ssl, time

def ok(name, cond, why=""):
    """one TAP line"""
    print(("ok %s" % name) if cond else ("not ok %s: %r" % (name, why)))

def test_context():
    """a client TLS context that takes the test instance's self-signed certificate"""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx

def _inodes(table):
    out = {}
    try:
        lines = open("/proc/net/" + table).read().splitlines()[1:]
    except OSError:
        return out
    for l in lines:
        f = l.split()
        if table.startswith("tcp"):
            out[int(f[9])] = (int(f[1].split(":")[1], 16), int(f[2].split(":")[1], 16))
        else:
            out[int(f[6])] = True
    return out

def tcp_inode(server_port, client_port):
    """the inode of the server side of the loopback connection, or None"""
    for table in ("tcp", "tcp6"):
        for ino, (lp, rp) in _inodes(table).items():
            if lp == server_port and rp == client_port:
                return ino
    return None

def is_tcp(ino):
    return ino in _inodes("tcp") or ino in _inodes("tcp6")

def is_unix(ino):
    return ino in _inodes("unix")

def fd_inode(pid, fd):
    """the socket inode of pid's descriptor fd, or None"""
    try:
        l = os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except OSError:
        return None
    return int(l[8:-1]) if l.startswith("socket:[") else None

def comm(pid):
    try:
        return open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        return ""

def holders(ino):
    """[(pid, comm, fd)] of every process with a descriptor on socket ino"""
    want = "socket:[%d]" % ino
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (p, fd)) == want:
                    out.append((int(p), comm(int(p)), int(fd)))
            except OSError:
                pass
    return out

def find(ino, name, fd=0, tries=50):
    """the pid of the process called name whose descriptor fd is socket ino"""
    for _ in range(tries):
        for pid, c, f in holders(ino):
            if c == name and f == fd:
                return pid
        time.sleep(0.05)
    return None

def rchar(pid):
    """bytes pid has read so far (/proc/PID/io), or -1"""
    try:
        for l in open("/proc/%d/io" % pid):
            if l.startswith("rchar:"):
                return int(l.split()[1])
    except OSError:
        pass
    return -1

def children(pid):
    """pids whose parent is pid"""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                st = open("/proc/%s/stat" % p).read()
                if int(st.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return out

def session(port, sock, server):
    """(inode, server pid, kurier-tlsd pid) of the connection of client
    socket sock to port, the pids of the processes called server and
    kurier-tlsd holding it as fd 0 (None where not found)"""
    ino = tcp_inode(port, sock.getsockname()[1])
    if not ino:
        return None, None, None
    return ino, find(ino, server, 0), find(ino, "kurier-tlsd", 0)
