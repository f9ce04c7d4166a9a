//! Files: fd 0 is the private input, 1 and 2 the host's stdout and stderr, 3 the public
//! output; eventfds, pipes and epoll instances exist as the Go runtime's netpoller needs
//! them. There is no file system: every path lookup (`open`, `openat`, `stat64`,
//! `lstat64`, `fstatat64`, `access`, `faccessat`, `readlink*`) fails with `ENOENT`, and
//! creating a directory with `EROFS`; `ioctl` fails with `ENOTTY`.

use super::errno::*;
use super::{ret, Args, Fd, File, FileKey, Interest, Ret};
use crate::vm::sched::{State, Wait};
use crate::vm::{Vm, VmError};

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_NONBLOCK: u32 = 0x80;
pub const O_CLOEXEC: u32 = 0x80000;

const EPOLLIN: u32 = 0x1;
const EPOLLOUT: u32 = 0x4;
const EPOLLERR: u32 = 0x8;
const EPOLLHUP: u32 = 0x10;
const EPOLLET: u32 = 0x8000_0000;
const EPOLL_CTL_ADD: u32 = 1;
const EPOLL_CTL_DEL: u32 = 2;
const EPOLL_CTL_MOD: u32 = 3;

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_DUPFD_CLOEXEC: u32 = 1030;

/// A pipe's capacity in bytes (Linux's default of 16 pages).
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size to a pipe are atomic: all or nothing (`PIPE_BUF`).
const PIPE_BUF: usize = 4096;

/// Largest single read or write handled at once.
const MAX_IO: u32 = 1 << 24;

/// `read(fd, buf, count)`.
pub fn read(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (fd, buf, count) = (a[0], a[1], a[2].min(MAX_IO));
    let Some(f) = vm.kernel.fds.get(&fd) else {
        return ret(Err(EBADF));
    };
    let nonblock = f.flags & O_NONBLOCK != 0;
    // Linux's vfs_read: EBADF for a descriptor not open for reading, then access_ok.
    let readable = !matches!(
        f.file,
        File::Stdout | File::Stderr | File::Public | File::PipeWrite(_) | File::Epoll(_)
    );
    if readable && !super::access_ok(buf, a[2]) {
        return ret(Err(EFAULT));
    }
    match f.file.clone() {
        File::Input => {
            let k = &vm.kernel;
            let n = (count as usize).min(k.input.len() - k.input_pos);
            let data = k.input[k.input_pos..k.input_pos + n].to_vec();
            if let Err(e) = vm.user_write(buf, &data) {
                return ret(Err(e));
            }
            vm.kernel.input_pos += n;
            ret(Ok(n as u32))
        }
        File::EventFd {
            count: c,
            semaphore,
        } => {
            if count < 8 {
                return ret(Err(EINVAL));
            }
            if c == 0 {
                if nonblock {
                    return ret(Err(EAGAIN));
                }
                return Err(vm.unsupported("read", "blocking read of an empty eventfd".into()));
            }
            let (val, left) = if semaphore { (1, c - 1) } else { (c, 0) };
            if let Err(e) = vm.user_write(buf, &val.to_be_bytes()) {
                return ret(Err(e));
            }
            if let Some(Fd {
                file: File::EventFd { count, .. },
                ..
            }) = vm.kernel.fds.get_mut(&fd)
            {
                *count = left;
            }
            vm.kernel.generation += 1;
            ret(Ok(8))
        }
        File::PipeRead(p) => {
            let pipe = vm.kernel.pipes.get(&p).cloned().unwrap_or_default();
            if pipe.buf.is_empty() {
                if pipe.writers == 0 {
                    return ret(Ok(0));
                }
                if nonblock {
                    return ret(Err(EAGAIN));
                }
                return Err(vm.unsupported("read", "blocking read of an empty pipe".into()));
            }
            let n = (count as usize).min(pipe.buf.len());
            let data: Vec<u8> = pipe.buf.iter().take(n).copied().collect();
            if let Err(e) = vm.user_write(buf, &data) {
                return ret(Err(e));
            }
            if let Some(pp) = vm.kernel.pipes.get_mut(&p) {
                pp.buf.drain(..n);
            }
            // Room for a writer waiting on EPOLLOUT.
            vm.kernel.generation += 1;
            wake_epoll_waiters(vm);
            ret(Ok(n as u32))
        }
        File::Stdout | File::Stderr | File::Public | File::PipeWrite(_) | File::Epoll(_) => {
            ret(Err(EBADF))
        }
    }
}

/// `write(fd, buf, count)`.
pub fn write(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (fd, buf, count) = (a[0], a[1], a[2].min(MAX_IO));
    let Some(f) = vm.kernel.fds.get(&fd) else {
        return ret(Err(EBADF));
    };
    let file = f.file.clone();
    let nonblock = f.flags & O_NONBLOCK != 0;
    // A descriptor not open for writing is EBADF before the buffer is looked at.
    if let File::Input | File::PipeRead(_) | File::Epoll(_) = file {
        return ret(Err(EBADF));
    }
    if !super::access_ok(buf, a[2]) {
        return ret(Err(EFAULT));
    }
    let data = match vm.user_read(buf, count) {
        Ok(d) => d,
        Err(e) => return ret(Err(e)),
    };
    let k = &mut vm.kernel;
    match file {
        File::Stdout | File::Stderr => {
            let out = if matches!(file, File::Stdout) {
                &mut k.stdout
            } else {
                &mut k.stderr
            };
            // The guest's view must not depend on the host: when the host stopped reading
            // (`zkm run x | head -1`), the write still succeeds and the bytes are dropped.
            let _ = out.write_all(&data).and_then(|_| out.flush());
            ret(Ok(count))
        }
        File::Public => {
            k.public.extend_from_slice(&data);
            ret(Ok(count))
        }
        File::EventFd { .. } => {
            if count < 8 {
                return ret(Err(EINVAL));
            }
            let add = super::be_u64(&data, 0);
            if add == u64::MAX {
                return ret(Err(EINVAL));
            }
            if let Some(Fd {
                file: File::EventFd { count: c, .. },
                ..
            }) = k.fds.get_mut(&fd)
            {
                if c.checked_add(add).is_none_or(|s| s == u64::MAX) {
                    return ret(Err(EAGAIN));
                }
                *c += add;
            }
            k.generation += 1;
            wake_epoll_waiters(vm);
            ret(Ok(8))
        }
        File::PipeWrite(p) => {
            let Some(pipe) = k.pipes.get_mut(&p) else {
                return ret(Err(EBADF));
            };
            if pipe.readers == 0 {
                return ret(Err(EPIPE));
            }
            // Linux: a write of at most PIPE_BUF bytes goes in whole or not at all; a
            // larger one takes what fits.
            let room = PIPE_CAPACITY - pipe.buf.len();
            let n = match data.len() {
                len if len <= PIPE_BUF && len > room => 0,
                len => len.min(room),
            };
            if n == 0 && !data.is_empty() {
                if nonblock {
                    return ret(Err(EAGAIN));
                }
                return Err(vm.unsupported("write", "blocking write to a full pipe".into()));
            }
            pipe.buf.extend(&data[..n]);
            k.generation += 1;
            wake_epoll_waiters(vm);
            ret(Ok(n as u32))
        }
        File::Input | File::PipeRead(_) | File::Epoll(_) => ret(Err(EBADF)),
    }
}

/// Linux's `PATH_MAX`: a path must end (its NUL) within this many bytes.
pub const PATH_MAX: u32 = 4096;

/// The result of a call on the path at `path` in the empty, read-only file system:
/// `errno`, or `EFAULT` when the path is not readable, or `ENAMETOOLONG` when it does not
/// end within `PATH_MAX` bytes (as Linux's `getname` decides, before the lookup).
fn path_call(vm: &mut Vm, path: u32, errno: u32) -> Result<Ret, VmError> {
    ret(match vm.mem.read_cstr(path, PATH_MAX) {
        Ok(s) if s.len() as u32 >= PATH_MAX => Err(ENAMETOOLONG),
        Ok(_) => Err(errno),
        Err(_) => Err(EFAULT),
    })
}

/// `open(path, flags, mode)`: there is no file system.
pub fn open(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    path_call(vm, a[0], ENOENT)
}

/// `openat(dirfd, path, flags, mode)` (and `faccessat`): there is no file system.
pub fn openat(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    path_call(vm, a[1], ENOENT)
}

/// The working directory `getcwd` writes, with its NUL: `/`, the root of the empty file
/// system.
pub const CWD: &[u8] = b"/\0";

/// `getcwd(buf, size)`: the working directory is [`CWD`]; returns its length with the NUL.
pub fn getcwd(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let len = CWD.len() as u32;
    if a[1] < len {
        return ret(Err(ERANGE));
    }
    ret(vm.user_write(a[0], CWD).map(|_| len))
}

/// `mkdir(path, mode)`: the (empty) file system is read-only.
pub fn mkdir(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    path_call(vm, a[0], EROFS)
}

/// `mkdirat(dirfd, path, mode)`: the (empty) file system is read-only.
pub fn mkdirat(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    path_call(vm, a[1], EROFS)
}

/// `readlink(path, buf, size)`: there is no file system.
pub fn readlink(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    open(vm, a)
}

/// `readlinkat(dirfd, path, buf, size)`: there is no file system.
pub fn readlinkat(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    openat(vm, a)
}

/// `socket`'s type: the kind in the low four bits, below `SOCK_MAX`, and the two flags
/// (`SOCK_NONBLOCK` and `SOCK_CLOEXEC` are `O_NONBLOCK` and `O_CLOEXEC` on MIPS).
pub const SOCK_TYPE_MASK: u32 = 0xf;
pub const SOCK_MAX: u32 = 11;
/// The address families Linux knows (`NPROTO`, `AF_MAX` in Linux 5.0, the release
/// `uname` names: `AF_XDP` is the last, 44).
pub const NPROTO: u32 = 45;

/// `socket(domain, type, protocol)`: the VM has no network, so no address family is
/// registered (`EAFNOSUPPORT`), after the checks Linux 5.0's `__sys_socket` and
/// `__sock_create` make first, in their order: unknown type flags `EINVAL`, a family out
/// of range `EAFNOSUPPORT`, a kind at or above `SOCK_MAX` `EINVAL`. (Linux always has
/// `AF_NETLINK` where it has sockets at all; the VM has none, and the proof refuses that
/// family: `docs/proof-system.md`, section 7.23.)
pub fn socket(_vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (family, ty) = (a[0], a[1]);
    if ty & !(SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC) != 0 {
        return ret(Err(EINVAL));
    }
    if family >= NPROTO {
        return ret(Err(EAFNOSUPPORT));
    }
    if ty & SOCK_TYPE_MASK >= SOCK_MAX {
        return ret(Err(EINVAL));
    }
    ret(Err(EAFNOSUPPORT))
}

/// `close(fd)`.
pub fn close(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let Some(fd) = vm.kernel.fds.remove(&a[0]) else {
        return ret(Err(EBADF));
    };
    match fd.file {
        File::PipeRead(p) => {
            if let Some(pp) = vm.kernel.pipes.get_mut(&p) {
                pp.readers -= 1;
            }
            // The write end now reports EPOLLERR.
            vm.kernel.generation += 1;
            wake_epoll_waiters(vm);
        }
        File::PipeWrite(p) => {
            if let Some(pp) = vm.kernel.pipes.get_mut(&p) {
                pp.writers -= 1;
            }
            vm.kernel.generation += 1;
            wake_epoll_waiters(vm);
        }
        _ => {}
    }
    // Linux drops a file's epoll registrations when its last descriptor closes, not
    // before: a registration made through a descriptor since closed still reports events
    // while a duplicate keeps the file open.
    let key = fd.file.key();
    let last = key == FileKey::Own || !vm.kernel.fds.values().any(|f| f.file.key() == key);
    if last {
        let closed = a[0];
        for f in vm.kernel.fds.values_mut() {
            if let File::Epoll(set) = &mut f.file {
                set.retain(|&(n, k), _| k != key || (k == FileKey::Own && n != closed));
            }
        }
    }
    ret(Ok(0))
}

/// `ioctl(fd, req, arg)`: no descriptor is a terminal.
pub fn ioctl(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    ret(if vm.kernel.fds.contains_key(&a[0]) {
        Err(ENOTTY)
    } else {
        Err(EBADF)
    })
}

/// `fcntl(fd, cmd, arg)` and `fcntl64`: descriptor flags, status flags, dup.
pub fn fcntl(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (fd, cmd, arg) = (a[0], a[1], a[2]);
    let Some(f) = vm.kernel.fds.get_mut(&fd) else {
        return ret(Err(EBADF));
    };
    ret(match cmd {
        F_GETFD => Ok(f.cloexec as u32),
        F_SETFD => {
            f.cloexec = arg & 1 != 0;
            Ok(0)
        }
        F_GETFL => Ok(f.flags),
        F_SETFL => {
            f.flags = (f.flags & !O_NONBLOCK) | (arg & O_NONBLOCK);
            Ok(0)
        }
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let mut new = f.clone();
            new.cloexec = cmd == F_DUPFD_CLOEXEC;
            if let File::Epoll(_) | File::EventFd { .. } = new.file {
                return Err(vm.unsupported("fcntl", "duplicating an eventfd or epoll fd".into()));
            }
            let file = new.file.clone();
            let n = match vm.kernel.alloc_fd_from(arg, new) {
                Ok(n) => n,
                Err(e) => return ret(Err(e)),
            };
            match file {
                File::PipeRead(p) => {
                    if let Some(pp) = vm.kernel.pipes.get_mut(&p) {
                        pp.readers += 1
                    }
                }
                File::PipeWrite(p) => {
                    if let Some(pp) = vm.kernel.pipes.get_mut(&p) {
                        pp.writers += 1
                    }
                }
                _ => {}
            }
            Ok(n)
        }
        _ => Err(EINVAL),
    })
}

const S_IFIFO: u32 = 0o010000;
const S_IFCHR: u32 = 0o020000;
const S_IFREG: u32 = 0o100000;

/// `fstat64(fd, buf)`: the o32 `struct stat64` (104 bytes). The input and public output
/// look like regular files (as with shell redirections), stdout and stderr like terminals'
/// character devices, pipes like FIFOs; eventfds and epoll fds like anonymous inodes.
pub fn fstat64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let Some(f) = vm.kernel.fds.get(&a[0]) else {
        return ret(Err(EBADF));
    };
    let (mode, size, ino) = match f.file {
        File::Input => (STD_STAT[0].0, vm.kernel.input.len() as u64, STD_STAT[0].1),
        File::Stdout => (STD_STAT[1].0, 0, STD_STAT[1].1),
        File::Stderr => (STD_STAT[2].0, 0, STD_STAT[2].1),
        File::Public => (STD_STAT[3].0, vm.kernel.public.len() as u64, STD_STAT[3].1),
        File::PipeRead(p) | File::PipeWrite(p) => (S_IFIFO | 0o600, 0, 100 + p as u64),
        File::EventFd { .. } | File::Epoll(_) => (0o600, 0, 1),
    };
    ret(vm.user_write(a[1], &stat64(mode, size, ino)).map(|_| 0))
}

/// The mode and inode number of the four standard descriptors' files: the private input
/// (a regular file), stdout and stderr (character devices), the public output (a regular
/// file). The prover's fs chip writes the same (`crate::prover::fs`).
pub const STD_STAT: [(u32, u64); 4] = [
    (S_IFREG | 0o644, 10),
    (S_IFCHR | 0o620, 11),
    (S_IFCHR | 0o620, 12),
    (S_IFREG | 0o644, 13),
];

/// The bytes of MIPS o32's `struct stat64` (104 bytes, big-endian) that `fstat64`
/// writes for a file of `mode`, `size` and inode `ino`: one link, 4096-byte blocks of
/// I/O, `size` in 512-byte blocks, and zero for the device, owner, times and padding.
pub fn stat64(mode: u32, size: u64, ino: u64) -> [u8; STAT64_LEN] {
    let mut b = [0u8; STAT64_LEN];
    b[16..24].copy_from_slice(&ino.to_be_bytes());
    b[24..28].copy_from_slice(&mode.to_be_bytes());
    b[28..32].copy_from_slice(&1u32.to_be_bytes()); // nlink
    b[STAT64_SIZE..STAT64_SIZE + 8].copy_from_slice(&size.to_be_bytes());
    b[88..92].copy_from_slice(&4096u32.to_be_bytes()); // blksize
    b[STAT64_BLOCKS..STAT64_BLOCKS + 8].copy_from_slice(&size.div_ceil(512).to_be_bytes());
    b
}

/// `sizeof(struct stat64)` on MIPS o32.
pub const STAT64_LEN: usize = 104;
/// Where `st_size` and `st_blocks` (each a big-endian `u64`) start in it.
pub const STAT64_SIZE: usize = 56;
pub const STAT64_BLOCKS: usize = 96;

/// `fstatat64(dirfd, path, buf, flags)`: no path exists.
pub fn fstatat64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    openat(vm, a)
}

/// `eventfd2(initval, flags)`.
pub fn eventfd2(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (init, flags) = (a[0], a[1]);
    const EFD_SEMAPHORE: u32 = 1;
    if flags & !(O_NONBLOCK | O_CLOEXEC | EFD_SEMAPHORE) != 0 {
        return ret(Err(EINVAL));
    }
    let fd = vm.kernel.alloc_fd(Fd {
        file: File::EventFd {
            count: init as u64,
            semaphore: flags & EFD_SEMAPHORE != 0,
        },
        flags: O_RDWR | (flags & O_NONBLOCK),
        cloexec: flags & O_CLOEXEC != 0,
    });
    ret(fd)
}

/// `pipe2(fds, flags)`: writes the read and write descriptors to `fds[0]`, `fds[1]`.
pub fn pipe2(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (out, flags) = (a[0], a[1]);
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return ret(Err(EINVAL));
    }
    let p = vm.kernel.new_pipe();
    let mk = |file, mode| Fd {
        file,
        flags: mode | (flags & O_NONBLOCK),
        cloexec: flags & O_CLOEXEC != 0,
    };
    let fds = vm
        .kernel
        .alloc_fd(mk(File::PipeRead(p), O_RDONLY))
        .and_then(
            |r| match vm.kernel.alloc_fd(mk(File::PipeWrite(p), O_WRONLY)) {
                Ok(w) => Ok((r, w)),
                Err(e) => {
                    vm.kernel.fds.remove(&r);
                    Err(e)
                }
            },
        );
    let (r, w) = match fds {
        Ok(rw) => rw,
        Err(e) => {
            vm.kernel.pipes.remove(&p);
            return ret(Err(e));
        }
    };
    let mut b = r.to_be_bytes().to_vec();
    b.extend(w.to_be_bytes());
    if let Err(e) = vm.user_write(out, &b) {
        vm.kernel.fds.remove(&r);
        vm.kernel.fds.remove(&w);
        vm.kernel.pipes.remove(&p);
        return ret(Err(e));
    }
    ret(Ok(0))
}

/// `epoll_create1(flags)`.
pub fn epoll_create1(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    if a[0] & !O_CLOEXEC != 0 {
        return ret(Err(EINVAL));
    }
    let fd = vm.kernel.alloc_fd(Fd {
        file: File::Epoll(Default::default()),
        flags: O_RDWR,
        cloexec: a[0] & O_CLOEXEC != 0,
    });
    ret(fd)
}

/// `epoll_ctl(epfd, op, fd, event)`; `struct epoll_event` is `{u32 events; u32 pad;
/// u64 data}` on o32. Regular files (the input and public output) cannot be polled
/// (`EPERM`), as on Linux.
pub fn epoll_ctl(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (epfd, op, fd, ev) = (a[0], a[1], a[2], a[3]);
    let Some(target) = vm.kernel.fds.get(&fd).map(|f| f.file.clone()) else {
        return ret(Err(EBADF));
    };
    if !matches!(
        vm.kernel.fds.get(&epfd).map(|f| &f.file),
        Some(File::Epoll(_))
    ) {
        return ret(Err(if vm.kernel.fds.contains_key(&epfd) {
            EINVAL
        } else {
            EBADF
        }));
    }
    if epfd == fd {
        return ret(Err(EINVAL));
    }
    if matches!(target, File::Input | File::Public | File::Epoll(_)) {
        return ret(Err(EPERM));
    }
    let interest = if op == EPOLL_CTL_DEL {
        None
    } else {
        match vm.user_read(ev, 16) {
            Ok(b) => Some(Interest {
                events: super::be_u32(&b, 0),
                data: super::be_u64(&b, 8),
                seen: u64::MAX,
            }),
            Err(e) => return ret(Err(e)),
        }
    };
    let Some(Fd {
        file: File::Epoll(set),
        ..
    }) = vm.kernel.fds.get_mut(&epfd)
    else {
        return ret(Err(EBADF));
    };
    let at = (fd, target.key());
    let r = match (op, interest) {
        (EPOLL_CTL_ADD, Some(i)) => match set.entry(at) {
            std::collections::btree_map::Entry::Occupied(_) => Err(EEXIST),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(i);
                Ok(0)
            }
        },
        (EPOLL_CTL_MOD, Some(i)) => match set.get_mut(&at) {
            Some(slot) => {
                *slot = i;
                Ok(0)
            }
            None => Err(ENOENT),
        },
        (EPOLL_CTL_DEL, _) => match set.remove(&at) {
            Some(_) => Ok(0),
            None => Err(ENOENT),
        },
        _ => Err(EINVAL),
    };
    if r.is_ok() {
        wake_epoll_waiters(vm);
    }
    ret(r)
}

/// The readiness bits now of the file registered as (`fd`, `key`): a file's own state, or
/// for an eventfd the descriptor's.
fn readiness(vm: &Vm, (fd, key): (u32, FileKey)) -> u32 {
    match key {
        FileKey::PipeRead(p) => match vm.kernel.pipes.get(&p) {
            Some(pp) if !pp.buf.is_empty() => EPOLLIN,
            Some(pp) if pp.writers == 0 => EPOLLIN | EPOLLHUP,
            _ => 0,
        },
        FileKey::PipeWrite(p) => match vm.kernel.pipes.get(&p) {
            Some(pp) if pp.readers == 0 => EPOLLOUT | EPOLLERR,
            Some(pp) if PIPE_CAPACITY - pp.buf.len() < PIPE_BUF => 0,
            _ => EPOLLOUT,
        },
        FileKey::Stdout | FileKey::Stderr => EPOLLOUT,
        FileKey::Input | FileKey::Public => 0,
        FileKey::Own => match vm.kernel.fds.get(&fd).map(|f| &f.file) {
            Some(File::EventFd { count, .. }) => EPOLLOUT | if *count > 0 { EPOLLIN } else { 0 },
            _ => 0,
        },
    }
}

/// Collects ready events of `epfd` into the guest buffer; returns the count (possibly 0).
pub(crate) fn collect_epoll(vm: &mut Vm, epfd: u32, buf: u32, max: u32) -> Ret {
    let Some(Fd {
        file: File::Epoll(set),
        ..
    }) = vm.kernel.fds.get(&epfd)
    else {
        return Ret::Err(EBADF);
    };
    let generation = vm.kernel.generation;
    let mut out = Vec::new();
    let mut reported = Vec::new();
    for (&at, i) in set {
        if out.len() as u32 >= max {
            break;
        }
        let ready = readiness(vm, at) & (i.events | EPOLLERR | EPOLLHUP);
        if ready == 0 || (i.events & EPOLLET != 0 && i.seen == generation) {
            continue;
        }
        out.push((ready, i.data));
        reported.push(at);
    }
    // Linux writes each event's `events` and `data` (two `__put_user`s) and leaves the
    // pad word between them as it was.
    for (k, &(ready, data)) in out.iter().enumerate() {
        let at = buf.wrapping_add(16 * k as u32);
        if let Err(e) = vm
            .user_write(at, &ready.to_be_bytes())
            .and_then(|_| vm.user_write(at.wrapping_add(8), &data.to_be_bytes()))
        {
            return Ret::Err(e);
        }
    }
    if let Some(Fd {
        file: File::Epoll(set),
        ..
    }) = vm.kernel.fds.get_mut(&epfd)
    {
        for at in reported {
            if let Some(i) = set.get_mut(&at) {
                i.seen = generation;
            }
        }
    }
    Ret::Ok(out.len() as u32)
}

/// Wakes threads blocked in `epoll_pwait` whose instance now has events.
fn wake_epoll_waiters(vm: &mut Vm) {
    for i in 0..vm.threads.len() {
        if let State::Blocked {
            wait: Wait::Epoll { epfd, .. },
            ..
        } = vm.threads[i].state
        {
            if has_events(vm, epfd) {
                vm.finish_wait(i, false);
            }
        }
    }
}

fn has_events(vm: &Vm, epfd: u32) -> bool {
    let Some(Fd {
        file: File::Epoll(set),
        ..
    }) = vm.kernel.fds.get(&epfd)
    else {
        return true;
    };
    let generation = vm.kernel.generation;
    set.iter().any(|(&at, i)| {
        readiness(vm, at) & (i.events | EPOLLERR | EPOLLHUP) != 0
            && !(i.events & EPOLLET != 0 && i.seen == generation)
    })
}

fn epoll_wait(
    vm: &mut Vm,
    epfd: u32,
    buf: u32,
    max: u32,
    timeout_ns: Option<u64>,
) -> Result<Ret, VmError> {
    if max == 0 || max > (i32::MAX as u32) / 16 {
        return ret(Err(EINVAL));
    }
    if !super::access_ok(buf, max * 16) {
        return ret(Err(EFAULT));
    }
    let r = collect_epoll(vm, epfd, buf, max);
    if r != Ret::Ok(0) || timeout_ns == Some(0) {
        return Ok(r);
    }
    let deadline = timeout_ns.map(|t| vm.now_ns().saturating_add(t));
    vm.block_current(
        Wait::Epoll {
            epfd,
            events: buf,
            max,
        },
        deadline,
    )?;
    Ok(Ret::Blocked)
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`.
pub fn epoll_pwait(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let ms = a[3] as i32;
    let timeout = (ms >= 0).then(|| ms as u64 * 1_000_000);
    epoll_wait(vm, a[0], a[1], a[2], timeout)
}

/// `epoll_pwait2(epfd, events, maxevents, timeout64, sigmask, sigsetsize)`.
pub fn epoll_pwait2(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let timeout = if a[3] == 0 {
        None
    } else {
        match super::time::read_timeout_ns(vm, a[3], true) {
            Ok(ns) => Some(ns),
            Err(e) => return ret(Err(e)),
        }
    };
    epoll_wait(vm, a[0], a[1], a[2], timeout)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, vm, DATA};
    use super::*;
    use crate::vm::memory::{PROT_READ, PROT_WRITE};

    const FCNTL: u32 = 4055;
    const EVENTFD2: u32 = 4325;
    const PIPE2: u32 = 4328;

    const CLOSE: u32 = 4006;
    const WRITE: u32 = 4004;
    const EPOLL_CTL: u32 = 4249;
    const EPOLL_PWAIT: u32 = 4313;
    const EPOLL_CREATE1: u32 = 4326;

    #[test]
    fn socket_checks_the_type_before_the_family_as_linux_does() {
        const SOCKET: u32 = 4183;
        let mut vm = vm();
        let mut socket =
            |family: u32, ty: u32| call(&mut vm, SOCKET, [family, ty, 0, 0, 0, 0]).unwrap();
        // (MIPS: SOCK_DGRAM 1, SOCK_STREAM 2, SOCK_PACKET 10.)
        assert_eq!(
            socket(2, 2 | O_NONBLOCK | O_CLOEXEC),
            Ret::Err(EAFNOSUPPORT)
        );
        assert_eq!(socket(10, 1), Ret::Err(EAFNOSUPPORT));
        // An unknown flag first, then the family's range, then the kind.
        assert_eq!(socket(2, 2 | 0x100), Ret::Err(EINVAL));
        assert_eq!(socket(u32::MAX, 2 | 0x100), Ret::Err(EINVAL));
        assert_eq!(socket(2, SOCK_MAX), Ret::Err(EINVAL));
        assert_eq!(socket(NPROTO, SOCK_MAX), Ret::Err(EAFNOSUPPORT));
        assert_eq!(socket(u32::MAX, 15), Ret::Err(EAFNOSUPPORT));
    }

    #[test]
    fn a_path_must_end_within_path_max() {
        const OPEN: u32 = 4005;
        let mut vm = vm();
        // 4095 bytes and the NUL: looked up (and not found); 4096 without one: too long.
        vm.user_write(DATA, &[b'a'; PATH_MAX as usize - 1]).unwrap();
        vm.user_write(DATA + PATH_MAX - 1, &[0]).unwrap();
        assert_eq!(
            call(&mut vm, OPEN, [DATA, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Err(ENOENT)
        );
        vm.user_write(DATA + PATH_MAX - 1, b"a\0").unwrap();
        assert_eq!(
            call(&mut vm, OPEN, [DATA, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Err(ENAMETOOLONG)
        );
        assert_eq!(
            call(&mut vm, OPEN, [0x10, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Err(EFAULT)
        );
    }

    #[test]
    fn an_epoll_registration_lives_until_the_last_duplicate_is_closed() {
        let mut vm = vm();
        call(&mut vm, PIPE2, [DATA, O_NONBLOCK, 0, 0, 0, 0]).unwrap();
        let (r, w) = (vm.user_u32(DATA).unwrap(), vm.user_u32(DATA + 4).unwrap());
        let Ret::Ok(ep) = call(&mut vm, EPOLL_CREATE1, [0; 6]).unwrap() else {
            panic!("epoll_create1")
        };
        // Register the read end with data 0x77, duplicate it, close the original.
        let ev: Vec<u8> = [EPOLLIN, 0, 0, 0x77]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        vm.user_write(DATA + 0x100, &ev).unwrap();
        call(
            &mut vm,
            EPOLL_CTL,
            [ep, EPOLL_CTL_ADD, r, DATA + 0x100, 0, 0],
        )
        .unwrap();
        let Ret::Ok(dup) = call(&mut vm, FCNTL, [r, F_DUPFD, 0, 0, 0, 0]).unwrap() else {
            panic!("dup")
        };
        call(&mut vm, CLOSE, [r, 0, 0, 0, 0, 0]).unwrap();
        vm.user_write(DATA + 0x200, b"x").unwrap();
        call(&mut vm, WRITE, [w, DATA + 0x200, 1, 0, 0, 0]).unwrap();
        let wait = |vm: &mut Vm| call(vm, EPOLL_PWAIT, [ep, DATA + 0x300, 4, 0, 0, 0]).unwrap();
        // Still registered, through the closed number: one event with its data.
        assert_eq!(wait(&mut vm), Ret::Ok(1));
        let got = vm.user_read(DATA + 0x300, 16).unwrap();
        assert_eq!(
            (super::super::be_u32(&got, 0), super::super::be_u64(&got, 8)),
            (EPOLLIN, 0x77)
        );
        // The number closed, the registration cannot be changed through it (EBADF).
        assert_eq!(
            call(&mut vm, EPOLL_CTL, [ep, EPOLL_CTL_DEL, r, 0, 0, 0]).unwrap(),
            Ret::Err(EBADF)
        );
        // The last descriptor closed: the registration goes.
        call(&mut vm, CLOSE, [dup, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(wait(&mut vm), Ret::Ok(0));
    }

    #[test]
    fn fcntl_dupfd_respects_the_open_file_limit() {
        // (scenario, minimum descriptor, expected result); the soft limit is 1024.
        let cases: &[(&str, u32, Ret)] = &[
            ("lowest free from 0", 0, Ret::Ok(4)),
            ("lowest free from 100", 100, Ret::Ok(100)),
            ("last below the limit", 1023, Ret::Ok(1023)),
            ("at the limit", 1024, Ret::Err(EINVAL)),
            ("u32::MAX", u32::MAX, Ret::Err(EINVAL)),
        ];
        for &(name, min, want) in cases {
            let mut vm = vm();
            let got = call(&mut vm, FCNTL, [1, F_DUPFD, min, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    /// A host stream whose reader has gone away.
    struct ClosedPipe;

    impl std::io::Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn write_checks_the_descriptor_before_the_buffer() {
        // (scenario, fd, buffer, expected result); 0x10 is unmapped
        let cases: &[(&str, u32, u32, Ret)] = &[
            ("input fd, bad buffer", 0, 0x10, Ret::Err(EBADF)),
            ("closed fd, bad buffer", 9, 0x10, Ret::Err(EBADF)),
            ("public output, bad buffer", 3, 0x10, Ret::Err(EFAULT)),
            ("public output", 3, DATA, Ret::Ok(4)),
        ];
        for &(name, fd, buf, want) in cases {
            let mut vm = vm();
            let got = call(&mut vm, 4004, [fd, buf, 4, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn host_write_failures_do_not_reach_the_guest() {
        // (scenario, fd)
        let cases: &[(&str, u32)] = &[("stdout", 1), ("stderr", 2)];
        for &(name, fd) in cases {
            let mut vm = vm();
            vm.kernel.stdout = Box::new(ClosedPipe);
            vm.kernel.stderr = Box::new(ClosedPipe);
            let got = call(&mut vm, 4004, [fd, DATA, 5, 0, 0, 0]).unwrap();
            assert_eq!(got, Ret::Ok(5), "{name}");
        }
    }

    #[test]
    fn pipes_hold_64_kib_and_small_writes_are_atomic() {
        const BUF: u32 = 0x1000_0000;
        let mut vm = vm();
        vm.mem.map(BUF, 0x2_0000, PROT_READ | PROT_WRITE);
        assert_eq!(
            call(&mut vm, PIPE2, [DATA, O_NONBLOCK, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        let (r, w) = (4, 5);
        // (step, call, fd, byte count, expected result), in order on one pipe
        let steps: &[(&str, u32, u32, u32, Ret)] = &[
            ("fill but 1000 bytes", 4004, w, 64536, Ret::Ok(64536)),
            (
                "small write that does not fit",
                4004,
                w,
                2000,
                Ret::Err(EAGAIN),
            ),
            ("large write takes what fits", 4004, w, 5000, Ret::Ok(1000)),
            ("full", 4004, w, 1, Ret::Err(EAGAIN)),
            ("drain a page", 4003, r, 4096, Ret::Ok(4096)),
            ("room again", 4004, w, 4096, Ret::Ok(4096)),
            ("read end closed", 4006, r, 0, Ret::Ok(0)),
            ("no reader", 4004, w, 1, Ret::Err(EPIPE)),
        ];
        for &(name, number, fd, len, want) in steps {
            let generation = vm.kernel.generation;
            let got = call(&mut vm, number, [fd, BUF, len, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
            if matches!(got, Ret::Ok(_)) {
                assert!(vm.kernel.generation > generation, "{name}: epoll is told");
            }
        }
        // A blocking write to a full pipe cannot wait in zkm: a clear error.
        let mut vm = super::super::testing::vm();
        vm.mem.map(BUF, 0x2_0000, PROT_READ | PROT_WRITE);
        call(&mut vm, PIPE2, [DATA, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            call(&mut vm, 4004, [5, BUF, 0x1_0000, 0, 0, 0]).unwrap(),
            Ret::Ok(0x1_0000)
        );
        let err = call(&mut vm, 4004, [5, BUF, 1, 0, 0, 0]).unwrap_err();
        assert!(err.to_string().contains("full pipe"), "{err}");
    }

    #[test]
    fn running_out_of_descriptors_gives_emfile() {
        let mut vm = vm();
        // fds 0..=3 are open; 1020 eventfds fill the table up to the soft limit.
        for n in 4..1024 {
            assert_eq!(
                call(&mut vm, EVENTFD2, [0; 6]).unwrap(),
                Ret::Ok(n),
                "eventfd {n}"
            );
        }
        // (scenario, call, arguments)
        let cases: &[(&str, u32, [u32; 6])] = &[
            ("eventfd2", EVENTFD2, [0; 6]),
            ("pipe2", PIPE2, [DATA, 0, 0, 0, 0, 0]),
            ("fcntl F_DUPFD", FCNTL, [1, F_DUPFD, 0, 0, 0, 0]),
        ];
        for &(name, number, args) in cases {
            let got = call(&mut vm, number, args).unwrap();
            assert_eq!(got, Ret::Err(EMFILE), "{name}");
        }
        assert!(vm.kernel.pipes.is_empty(), "a failed pipe2 leaves no pipe");
        // Closing one descriptor makes room for one, not two: pipe2 still fails whole.
        assert_eq!(
            call(&mut vm, 4006, [500, 0, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        let got = call(&mut vm, PIPE2, [DATA, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(got, Ret::Err(EMFILE));
        assert!(!vm.kernel.fds.contains_key(&500));
    }
}
