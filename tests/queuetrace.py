# queuetrace - read an strace of kurier-queue (strace -y, one process)
# into events in order, for the tests that check its commit order
# (e2e 41, 66): ("write" | "fsync", WHAT) where WHAT is mess, intd,
# dir:mess, dir:intd, dir:todo or trigger; ("link", DIR) for a link into
# DIR/; ("take", DIR) for a parked file renamed from pool/ into DIR/
# (its descriptor then counts as mess or intd); ("status", CODE) for a
# session-mode status line written on fd 1; ("exit", CODE).
import re

def events(path):
    """the events of the trace in path, in order"""
    ev, fdpath, poolfd = [], {}, {}
    for line in open(path):
        line = re.sub(r'^\d+\s+', '', line.strip())
        m = re.match(r'renameat2\(AT_FDCWD(?:<[^>]*>)?, "([^"]*)", AT_FDCWD(?:<[^>]*>)?, "([^"]*)", RENAME_NOREPLACE\) = 0', line)
        if m and m.group(1) in poolfd:
            to = m.group(2).split('/')[0]
            fdpath[poolfd.pop(m.group(1))] = to
            ev.append(('take', to))
            continue
        # open(2) or openat(2): glibc calls the one, musl the other
        m = re.match(r'(?:openat\(AT_FDCWD(?:<[^>]*>)?, |open\()"([^"]*)".*\) = (\d+)', line)
        if m:
            p, fd = m.group(1), m.group(2)
            parts = p.split('/')
            fdpath.pop(fd, None)    # a new file on a reused descriptor
            if parts[0] == 'pid' and len(parts) == 2: fdpath[fd] = 'mess'
            elif parts[0] == 'pool' and len(parts) == 2: poolfd[p] = fd
            elif parts[0] == 'intd' and len(parts) == 3: fdpath[fd] = 'intd'
            elif parts[0] in ('mess', 'intd', 'todo') and len(parts) == 2: fdpath[fd] = 'dir:' + parts[0]
            elif p == 'lock/trigger': fdpath[fd] = 'trigger'
            continue
        m = re.match(r'write\(1<[^>]*>, "(\d+)\\n", \d+\) = \d+', line)
        if m:
            ev.append(('status', m.group(1)))
            continue
        m = re.match(r'(write|fsync)\((\d+)', line)
        if m and m.group(2) in fdpath:
            ev.append((m.group(1), fdpath[m.group(2)]))
            continue
        m = re.match(r'link\("([^"]*)", "([^"]*)"\) = 0', line)
        if m:
            ev.append(('link', m.group(2).split('/')[0]))
            continue
        m = re.match(r'exit_group\((\d+)\)', line)
        if m:
            ev.append(('exit', m.group(1)))
    return ev
