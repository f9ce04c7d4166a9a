//! Identity and limits: `getpid`, `gettid`, `getuid`…, `uname`, `sched_getaffinity`,
//! `prlimit64`, `getrlimit`, and the deterministic `getrandom`.

use std::collections::BTreeMap;

use super::errno::*;
use super::{ret, Args, Ret};
use crate::vm::{Vm, VmError, PID};

const RLIM_INFINITY: u64 = u64::MAX;
const RLIMIT_STACK: u32 = 3;
pub(crate) const RLIMIT_NOFILE: u32 = 5;
/// Linux's default `fs.nr_open`: the highest open-file limit even root can set.
const NR_OPEN: u64 = 1 << 20;

/// Resource limits at start: 8 MiB stack, 1024/4096 open files, everything else unlimited.
pub fn default_rlimits() -> BTreeMap<u32, (u64, u64)> {
    let mut m: BTreeMap<u32, (u64, u64)> = (0..16)
        .map(|r| (r, (RLIM_INFINITY, RLIM_INFINITY)))
        .collect();
    m.insert(RLIMIT_STACK, (8 << 20, RLIM_INFINITY));
    m.insert(RLIMIT_NOFILE, (1024, 4096));
    m
}

/// `getpid()`.
pub fn getpid(_vm: &mut Vm, _a: &Args) -> Result<Ret, VmError> {
    ret(Ok(PID))
}

/// `getppid()`: the parent is init.
pub fn getppid(_vm: &mut Vm, _a: &Args) -> Result<Ret, VmError> {
    ret(Ok(1))
}

/// `gettid()`.
pub fn gettid(vm: &mut Vm, _a: &Args) -> Result<Ret, VmError> {
    ret(Ok(vm.current_tid()))
}

/// `getuid()`, `geteuid()`, `getgid()`, `getegid()`: root.
pub fn getuid(_vm: &mut Vm, _a: &Args) -> Result<Ret, VmError> {
    ret(Ok(0))
}

/// The kernel release `uname` reports.
///
/// It is below 5.1 on purpose: Go 1.27 then uses `futex` with a 32-bit `timespec`. With
/// 5.1 or later it uses `futex_time64`, but on big-endian MIPS it writes `tv_nsec` in the
/// wrong half of the 64-bit field, so Linux (and the VM, which reads it as Linux does)
/// sees sub-second timeouts as 0 and the runtime spins while idle: correct output, but up
/// to 100 times more instructions for programs that sleep. Both calls are implemented.
pub const KERNEL_RELEASE: &str = "5.0.0";

/// The length of `struct utsname`: six 65-byte fields.
pub const UTSNAME_LEN: usize = 65 * 6;

/// What `uname` writes: the system, node, release, version, machine and domain names,
/// each NUL-padded to 65 bytes.
pub fn utsname() -> [u8; UTSNAME_LEN] {
    let fields = [
        "Linux",
        "zkm",
        KERNEL_RELEASE,
        "#1 SMP zkm",
        "mips",
        "(none)",
    ];
    let mut b = [0u8; UTSNAME_LEN];
    for (i, f) in fields.iter().enumerate() {
        b[65 * i..65 * i + f.len()].copy_from_slice(f.as_bytes());
    }
    b
}

/// `uname(buf)`: [`utsname`].
pub fn uname(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    ret(vm.user_write(a[0], &utsname()).map(|_| 0))
}

/// `sched_getaffinity(pid, len, mask)`: one CPU (CPU 0); returns the mask size, 4. `pid`
/// is 0 or a live thread of the process, otherwise `ESRCH`.
pub fn sched_getaffinity(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (pid, len, mask) = (a[0], a[1], a[2]);
    let alive =
        |t: &crate::vm::sched::Thread| t.tid == pid && t.state != crate::vm::sched::State::Exited;
    if pid != 0 && !vm.threads.iter().any(alive) {
        return ret(Err(ESRCH));
    }
    if len < 4 || len % 4 != 0 {
        return ret(Err(EINVAL));
    }
    ret(vm.user_write(mask, &1u32.to_be_bytes()).map(|_| 4))
}

/// `prlimit64(pid, resource, new, old)` with `struct rlimit64 {u64 cur, max}`.
pub fn prlimit64(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (pid, res, new, old) = (a[0], a[1], a[2], a[3]);
    if pid != 0 && pid != PID {
        return ret(Err(ESRCH));
    }
    let Some(&(cur, max)) = vm.kernel.rlimits.get(&res) else {
        return ret(Err(EINVAL));
    };
    let update = if new != 0 {
        match vm.user_read(new, 16) {
            Ok(b) => {
                let (c, m) = (super::be_u64(&b, 0), super::be_u64(&b, 8));
                // The guest runs as root (CAP_SYS_RESOURCE), so it may raise hard limits;
                // the open-file limit stops at Linux's default `nr_open`.
                if c > m {
                    return ret(Err(EINVAL));
                }
                if res == RLIMIT_NOFILE && m > NR_OPEN {
                    return ret(Err(EPERM));
                }
                Some((c, m))
            }
            Err(e) => return ret(Err(e)),
        }
    } else {
        None
    };
    if old != 0 {
        let mut b = cur.to_be_bytes().to_vec();
        b.extend(max.to_be_bytes());
        if let Err(e) = vm.user_write(old, &b) {
            return ret(Err(e));
        }
    }
    if let Some(l) = update {
        vm.kernel.rlimits.insert(res, l);
    }
    ret(Ok(0))
}

/// The o32 `RLIM_INFINITY` of the 32-bit `getrlimit` (MIPS's `asm/resource.h`).
const RLIM32_INFINITY: u32 = 0x7fff_ffff;

/// `getrlimit(resource, rlim)` with 32-bit fields: a limit of `RLIM32_INFINITY` or more
/// (unlimited included) reads as `RLIM32_INFINITY`, as Linux's `rlim64_to_rlim` does.
pub fn getrlimit(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let Some(&(cur, max)) = vm.kernel.rlimits.get(&a[0]) else {
        return ret(Err(EINVAL));
    };
    let clamp = |v: u64| v.min(RLIM32_INFINITY as u64) as u32;
    let mut b = clamp(cur).to_be_bytes().to_vec();
    b.extend(clamp(max).to_be_bytes());
    ret(vm.user_write(a[1], &b).map(|_| 0))
}

/// `getrandom(buf, len, flags)`: bytes from a fixed-seed SplitMix64 stream, so runs are
/// reproducible. Never use them as secrets.
pub fn getrandom(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (buf, len) = (a[0], a[1].min(1 << 25));
    let mut out = Vec::with_capacity(len as usize);
    while out.len() < len as usize {
        vm.kernel.random_state = vm.kernel.random_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = vm.kernel.random_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.extend(z.to_be_bytes());
    }
    out.truncate(len as usize);
    ret(vm.user_write(buf, &out).map(|_| len))
}

const PR_SET_NAME: u32 = 15;
const PR_GET_NAME: u32 = 16;
/// `PR_SET_VMA` (Linux 5.17), which Go 1.25 and later call to name their mappings (the
/// `decoratemappings` setting, on for modules of `go 1.25` or later).
pub const PR_SET_VMA: u32 = 0x5356_4d41;

/// `prctl(option, ...)`: thread names; any other option fails with `EINVAL`, as in the
/// Linux 5.0 that `uname` reports. That includes `PR_SET_VMA`, which qemu-user refuses
/// too: Go's runtime then stops naming its mappings, after one call.
pub fn prctl(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    match a[0] {
        PR_SET_NAME => {
            let name = match vm.mem.read_cstr(a[1], 16) {
                Ok(n) => n,
                Err(_) => return ret(Err(EFAULT)),
            };
            let mut fixed = [0u8; 16];
            let n = name.len().min(15);
            fixed[..n].copy_from_slice(&name[..n]);
            vm.threads[vm.current].name = fixed;
            ret(Ok(0))
        }
        PR_GET_NAME => {
            let name = vm.threads[vm.current].name;
            ret(vm.user_write(a[1], &name).map(|_| 0))
        }
        _ => ret(Err(EINVAL)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, vm, DATA};
    use super::*;

    #[test]
    fn prctl_knows_thread_names_and_refuses_pr_set_vma_as_linux_5_0() {
        let mut vm = vm();
        // Go's mapping names (PR_SET_VMA_ANON_NAME of a page-aligned range): EINVAL, as
        // Linux 5.0 and qemu-user answer, whatever the range and the name.
        for args in [
            [PR_SET_VMA, 0, DATA, 4096, DATA, 0],
            [PR_SET_VMA, 9, 1, 0, 0, 0],
        ] {
            assert_eq!(call(&mut vm, 4192, args).unwrap(), Ret::Err(EINVAL));
        }
        vm.user_write(DATA, b"worker-with-a-long-name\0").unwrap();
        assert_eq!(
            call(&mut vm, 4192, [PR_SET_NAME, DATA, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        assert_eq!(
            call(&mut vm, 4192, [PR_GET_NAME, DATA + 64, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        assert_eq!(vm.user_read(DATA + 64, 16).unwrap(), b"worker-with-a-l\0");
    }

    #[test]
    fn prlimit64_lets_root_raise_hard_limits_up_to_nr_open() {
        let rl = |cur: u64, max: u64| -> Vec<u8> {
            cur.to_be_bytes()
                .into_iter()
                .chain(max.to_be_bytes())
                .collect()
        };
        // (scenario, resource, new limits, expected result)
        let cases: &[(&str, u32, (u64, u64), Ret)] = &[
            ("raise nofile hard", RLIMIT_NOFILE, (8192, 8192), Ret::Ok(0)),
            (
                "nofile up to nr_open",
                RLIMIT_NOFILE,
                (NR_OPEN, NR_OPEN),
                Ret::Ok(0),
            ),
            (
                "nofile past nr_open",
                RLIMIT_NOFILE,
                (1, NR_OPEN + 1),
                Ret::Err(EPERM),
            ),
            ("soft above hard", RLIMIT_NOFILE, (10, 5), Ret::Err(EINVAL)),
            (
                "stack hard from unlimited",
                RLIMIT_STACK,
                (1 << 20, 1 << 30),
                Ret::Ok(0),
            ),
        ];
        for &(name, res, (cur, max), want) in cases {
            let mut vm = vm();
            vm.user_write(DATA, &rl(cur, max)).unwrap();
            let got = call(&mut vm, 4338, [0, res, DATA, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
            if want == Ret::Ok(0) {
                assert_eq!(vm.kernel.rlimits[&res], (cur, max), "{name}");
            }
        }
    }

    #[test]
    fn sched_getaffinity_answers_for_live_threads_only() {
        // (scenario, pid, expected result)
        let cases: &[(&str, u32, Ret)] = &[
            ("calling thread", 0, Ret::Ok(4)),
            ("the main thread by id", PID, Ret::Ok(4)),
            ("no such thread", PID + 77, Ret::Err(ESRCH)),
            ("init", 1, Ret::Err(ESRCH)),
        ];
        for &(name, pid, want) in cases {
            let mut vm = vm();
            let got = call(&mut vm, 4240, [pid, 4, DATA, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn getrlimit_reports_unlimited_as_the_o32_infinity() {
        const INF: u32 = RLIM32_INFINITY;
        // (scenario, resource, soft, hard)
        let cases: &[(&str, u32, u32, u32)] = &[
            ("cpu time unlimited", 0, INF, INF),
            ("stack 8 MiB, hard unlimited", RLIMIT_STACK, 8 << 20, INF),
            ("open files", RLIMIT_NOFILE, 1024, 4096),
        ];
        for &(name, res, soft, hard) in cases {
            let mut vm = vm();
            assert_eq!(
                call(&mut vm, 4076, [res, DATA, 0, 0, 0, 0]).unwrap(),
                Ret::Ok(0)
            );
            let b = vm.user_read(DATA, 8).unwrap();
            let got = (super::super::be_u32(&b, 0), super::super::be_u32(&b, 4));
            assert_eq!(got, (soft, hard), "{name}");
        }
    }
}
