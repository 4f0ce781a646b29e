"""Finding, trusting and starting fvd, by the rules fvctl follows (README, "Using it").

- The sockets tried, in order: $FVD_SOCKET, the system one, the per-user one.
- A daemon is trusted if it runs as this user (SO_PEERCRED), or if no one but root could have put
  its socket there: every directory from / to the socket is owned by root or this user and not
  writable by others (an ancestor with the sticky bit, like /tmp, is allowed; the socket's own
  directory is not).
- Checking and connecting are one act: the socket's directory is resolved once, walked from /
  with O_PATH | O_NOFOLLOW descriptors whose fstat is what the check reads, and the connection
  goes through the last one (/proc/self/fd/N/NAME). A symbolic link that flips between a check by
  name and a connect by name would otherwise pass an impostor off as the system daemon.
- When none answers, a per-user daemon is started (``fvd serve`` in its own session, logging
  beside its socket), in a directory that must be this user's alone (mode 0700).
"""
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import time

SYSTEM_SOCKET = "/run/fvd/fvd.sock"


class TrustError(ConnectionError):
    """What answered at a socket cannot be trusted to be fvd (the message says why and what to do)."""


def user_directory():
    run = os.environ.get("XDG_RUNTIME_DIR")
    if run:
        return os.path.join(run, "fvd")
    return os.path.join(os.path.expanduser("~"), ".fvd")


def user_socket():
    return os.path.join(user_directory(), "fvd.sock")


def candidates():
    """The sockets fvctl would try, in its order: $FVD_SOCKET, the system one, the per-user one."""
    if os.environ.get("FVD_SOCKET"):
        return [os.environ["FVD_SOCKET"]]
    return [SYSTEM_SOCKET, user_socket()]


def _why_untrusted(fd, path, last):
    st = os.fstat(fd)
    if st.st_uid not in (0, os.geteuid()):
        return "%s belongs to uid %d" % (path, st.st_uid)
    if st.st_mode & 0o022 and (last or not st.st_mode & stat.S_ISVTX):
        return "%s is writable by others (mode %o)" % (path, st.st_mode & 0o7777)
    return None


def connect_checked(path, timeout=None):
    """Connects to the socket at ``path`` and checks who answers (see the module's rules)."""
    directory, name = os.path.split(os.path.abspath(path))
    real = os.path.realpath(directory or "/")
    fds = []
    why = None
    try:
        parts = [p for p in real.split("/") if p]
        fds.append(os.open("/", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
        why = _why_untrusted(fds[-1], "/", not parts)
        here = ""
        for i, part in enumerate(parts):
            here += "/" + part
            try:
                fds.append(os.open(part, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fds[-1]))
            except (FileNotFoundError, PermissionError) as e:
                raise type(e)(e.errno, "cannot connect to %s: %s: %s" % (path, here, e.strerror))
            except OSError as e:  # a link or a file swapped in since it was resolved
                raise ConnectionError("cannot connect to %s: %s changed while it was checked (%s)" % (path, here, e.strerror))
            why = why or _why_untrusted(fds[-1], here, i == len(parts) - 1)
        via = "/proc/self/fd/%d/%s" % (fds[-1], name) if os.path.isdir("/proc/self/fd") else os.path.join(real, name)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(via)
        except OSError as e:
            s.close()
            raise type(e)(e.errno, "cannot connect to %s: %s" % (path, e.strerror))
    finally:
        for fd in fds:
            os.close(fd)
    _, uid, _ = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if uid != os.geteuid() and why:
        s.close()
        raise TrustError("refusing the daemon at %s: it runs as uid %d, not you (uid %d), and %s, so anyone could have put it "
                         "there. Use your own daemon (drop the path and $FVD_SOCKET) or ask the administrator to fix the directory"
                         % (path, uid, os.geteuid(), why))
    return s


def refused_message(path):
    """What to tell a user whose connect was refused with EACCES (the socket's group leaves them out)."""
    try:
        import grp
        import pwd
        st = os.stat(path)
        group = grp.getgrgid(st.st_gid).gr_name
        user = pwd.getpwuid(os.geteuid()).pw_name
    except (OSError, KeyError, ImportError):
        return "the fvd at %s refused you: permission denied; ask the administrator which group may use it" % path
    return ("the fvd at %s refused you (%s): its socket is mode %o, group %s, and you are not in group %s; ask an "
            "administrator to add you (sudo usermod -aG %s %s), then log in again" % (path, user, st.st_mode & 0o777, group, group, group, user))


def ensure_private_directory(path):
    """Creates ``path`` (mode 0700) if missing and checks it is a directory of this user's alone."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as e:
        raise ConnectionError("cannot create %s: %s; create it (mode 700) or set XDG_RUNTIME_DIR" % (path, e.strerror))
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise TrustError("%s is not a directory (a link?); remove it so a private one can be made" % path)
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise TrustError("%s must be yours alone (mode 700), not mode %o of uid %d: another user could put a socket there; "
                         "remove it or fix it (chmod 700)" % (path, st.st_mode & 0o777, st.st_uid))


def find_daemon_binary():
    """``$FVD_BINARY``, else fvd on PATH, else fvd beside fvctl on PATH."""
    explicit = os.environ.get("FVD_BINARY")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("fvd")
    if found:
        return found
    fvctl = shutil.which("fvctl")
    if fvctl:
        beside = os.path.join(os.path.dirname(os.path.realpath(fvctl)), "fvd")
        if os.access(beside, os.X_OK):
            return beside
    return None


def start_user_daemon(timeout=None):
    """Starts a per-user fvd, as fvctl does, and returns a checked connection to it."""
    directory, path = user_directory(), user_socket()
    ensure_private_directory(directory)
    binary = find_daemon_binary()
    if binary is None:
        raise ConnectionError("no fvd answers and no fvd binary was found (on PATH, beside fvctl, or in $FVD_BINARY); "
                              "build it with scripts/setup.sh, or pass the socket of a running one")
    log_path = os.path.join(directory, "fvd.log")
    try:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o600)
    except OSError as e:
        raise TrustError("refusing to log to %s: %s; remove it and try again" % (log_path, "it is a symbolic link" if e.errno == 40 else e.strerror))
    st = os.fstat(log)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        os.close(log)
        raise TrustError("refusing to log to %s: it is not a regular file of yours; remove it and try again" % log_path)
    sys.stderr.write("fvd: no daemon running; starting one for you (%s serve --socket %s, log %s)\n" % (binary, path, log_path))
    try:
        process = subprocess.Popen([binary, "serve", "--socket", path, "--socket-mode", "600", "--idle-exit", "1800"],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    finally:
        os.close(log)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            return connect_checked(path, timeout)
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        if process.poll() is not None:
            with open(log_path, errors="replace") as f:
                tail = "".join(f.readlines()[-3:])
            raise ConnectionError("the fvd it started exited at once; its log %s ends:\n%s" % (log_path, tail))
        time.sleep(0.05)
    raise ConnectionError("the fvd it started did not answer within 120 s; see %s" % log_path)


def connect(path=None, timeout=None, start=True):
    """A checked connection: to ``path``, else the first socket that answers (see ``candidates``),
    else a per-user daemon started for this user (unless ``start`` is false or a path was given)."""
    tried = [path] if path else candidates()
    refused = None
    for p in tried:
        try:
            return p, connect_checked(p, timeout)
        except PermissionError:
            if p != SYSTEM_SOCKET or path:
                raise PermissionError(13, refused_message(p))
            refused = refused_message(p)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
            continue
    explicit = path or os.environ.get("FVD_SOCKET")
    if refused and (not start or explicit):
        raise PermissionError(13, refused)
    if not start or explicit:
        raise ConnectionError("no fvd answers on %s; start one (fvd serve, systemctl start fvd.socket) or drop the path "
                              "and $FVD_SOCKET to let the client start one" % " or ".join(tried))
    if refused:
        sys.stderr.write("fvd: %s; starting a private fvd for you meanwhile\n" % refused)
    return user_socket(), start_user_daemon(timeout)
