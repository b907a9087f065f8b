# qpool - park empty files in a test queue's pool/ the way kurier-clean
# leaves them (queue(5), "The pool"), for e2e 39.
import os

def park(pool, n, uid, gid):
    """put n empty files, 0640 uid:gid, into pool as pool/INODE; their inode numbers"""
    got = []
    for k in range(n):
        tmp = "%s/new.%d" % (pool, k)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, 0o640)
        ino = os.fstat(fd).st_ino
        os.close(fd)
        os.rename(tmp, "%s/%d" % (pool, ino))
        got.append(ino)
    return got
