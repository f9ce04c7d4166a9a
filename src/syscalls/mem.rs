//! Memory: `mmap`/`mmap2`, `munmap`, `mprotect`, `madvise`, `mincore`, `brk`.
//!
//! Only anonymous private mappings exist (there are no files to map). `mmap` without
//! `MAP_FIXED` uses the hint when the range is free, else the highest free range below
//! [`MMAP_TOP`], searching downwards like Linux's top-down allocator.

use super::errno::*;
use super::{ret, Args, Ret};
use crate::vm::loader::{STACK_SIZE, STACK_TOP};
use crate::vm::memory::{PAGE_BITS, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::vm::{Vm, VmError};

/// Mappings without a usable hint are placed below this address (1 MiB below the stack).
pub const MMAP_TOP: u32 = STACK_TOP - STACK_SIZE - (1 << 20);
/// Linux's `TASK_SIZE` on MIPS32: the end of user space.
pub const TASK_SIZE: u32 = 0x7fff_8000;

const MAP_FIXED: u32 = 0x10;
const MAP_ANONYMOUS: u32 = 0x800;
const MADV_DONTNEED: u32 = 4;

fn prot_bits(prot: u32) -> u8 {
    (prot & (PROT_READ | PROT_WRITE | PROT_EXEC) as u32) as u8
}

fn page_len(len: u32) -> Option<u32> {
    let l = (len as u64).div_ceil(PAGE_SIZE as u64) * PAGE_SIZE as u64;
    (l > 0 && l < 1 << 32).then_some(l as u32)
}

/// The highest free page-aligned range of `len` bytes below `top` that `munmap` never
/// freed, or, where there is none, the highest free one. Linux's top-down allocator would
/// reuse a freed hole first; the VM leaves it until it must, so that a proof never sees
/// one mapping's pages handed out again. That is an address Linux, after its own earlier
/// placements, would not give: the same latitude as the mapping's address itself
/// (`docs/proof-system.md`, section 7.25, "Linux's choices").
fn find_free(vm: &Vm, len: u32, top: u32) -> Option<u32> {
    let retired = &vm.kernel.unmapped;
    let fresh = |pn: u32| {
        retired
            .range(..=pn)
            .next_back()
            .is_none_or(|(_, &hi)| hi < pn)
    };
    find_free_where(vm, len, top, fresh).or_else(|| find_free_where(vm, len, top, |_| true))
}

fn find_free_where(vm: &Vm, len: u32, top: u32, usable: impl Fn(u32) -> bool) -> Option<u32> {
    let need = len >> PAGE_BITS;
    let mut run = 0;
    let mut pn = top >> PAGE_BITS;
    while pn > 1 {
        pn -= 1;
        if vm.mem.is_free(pn << PAGE_BITS, PAGE_SIZE) && usable(pn) {
            run += 1;
            if run == need {
                return Some(pn << PAGE_BITS);
            }
        } else {
            run = 0;
        }
    }
    None
}

fn do_mmap(
    vm: &mut Vm,
    addr: u32,
    len: u32,
    prot: u32,
    flags: u32,
    fd: u32,
    off: u64,
) -> Result<u32, u32> {
    let Some(len) = page_len(len) else {
        return Err(if len == 0 { EINVAL } else { ENOMEM });
    };
    if off % PAGE_SIZE as u64 != 0 {
        return Err(EINVAL);
    }
    if flags & MAP_ANONYMOUS == 0 {
        // No file supports mmap: fd 0-3 are streams and nothing else can be opened.
        return Err(if vm.kernel.fds.contains_key(&fd) {
            ENODEV
        } else {
            EBADF
        });
    }
    let start = if flags & MAP_FIXED != 0 {
        if addr % PAGE_SIZE != 0 || addr as u64 + len as u64 > 1 << 31 {
            return Err(EINVAL);
        }
        addr
    } else if addr != 0
        && addr % PAGE_SIZE == 0
        && addr as u64 + len as u64 <= MMAP_TOP as u64
        && vm.mem.is_free(addr, len)
    {
        addr
    } else {
        find_free(vm, len, MMAP_TOP).ok_or(ENOMEM)?
    };
    if prot_bits(prot) & PROT_EXEC != 0 && !vm.in_text_range(start, len) {
        return Err(EXEC_OUTSIDE_TEXT);
    }
    vm.mem.map(start, len, prot_bits(prot));
    Ok(start)
}

/// Code is decoded from the ELF's executable segments; new executable memory elsewhere
/// cannot run.
fn exec_unsupported(vm: &Vm, name: &'static str) -> VmError {
    vm.unsupported(
        name,
        "executable memory outside the program's text segments (JIT code) cannot run".into(),
    )
}

/// `do_mmap`'s marker for a `PROT_EXEC` request outside the text range.
const EXEC_OUTSIDE_TEXT: u32 = u32::MAX;

/// `mmap(addr, len, prot, flags, fd, offset)`, offset in bytes.
pub fn mmap(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    match do_mmap(vm, a[0], a[1], a[2], a[3], a[4], a[5] as u64) {
        Err(EXEC_OUTSIDE_TEXT) => Err(exec_unsupported(vm, "mmap")),
        r => ret(r),
    }
}

/// `mmap2(addr, len, prot, flags, fd, pgoffset)`, offset in 4096-byte units. Linux's
/// `do_mmap` refuses an offset whose pages, with the mapping's, pass 2^32 (`EOVERFLOW`),
/// after its length checks, for anonymous memory too (a file's descriptor is looked up
/// first: `EBADF` comes before it).
pub fn mmap2(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let looked_up = a[3] & MAP_ANONYMOUS != 0 || vm.kernel.fds.contains_key(&a[4]);
    if let (Some(len), true) = (page_len(a[1]), looked_up) {
        if a[5] as u64 + (len / PAGE_SIZE) as u64 > u32::MAX as u64 {
            return ret(Err(EOVERFLOW));
        }
    }
    match do_mmap(vm, a[0], a[1], a[2], a[3], a[4], a[5] as u64 * 4096) {
        Err(EXEC_OUTSIDE_TEXT) => Err(exec_unsupported(vm, "mmap2")),
        r => ret(r),
    }
}

/// `munmap(addr, len)`.
pub fn munmap(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (addr, len) = (a[0], a[1]);
    let Some(len) = page_len(len) else {
        return ret(Err(EINVAL));
    };
    // Linux's TASK_SIZE on MIPS32: no range may reach past it.
    if addr % PAGE_SIZE != 0 || addr > TASK_SIZE || len > TASK_SIZE - addr {
        return ret(Err(EINVAL));
    }
    vm.mem.unmap(addr, len);
    // The freed pages, merged with the freed ranges they touch.
    let (mut lo, mut hi) = (addr >> PAGE_BITS, (addr + len - 1) >> PAGE_BITS);
    let k = &mut vm.kernel.unmapped;
    let touching: Vec<(u32, u32)> = k
        .range(..=hi.saturating_add(1))
        .rev()
        .take_while(|&(_, &h)| h.saturating_add(1) >= lo)
        .map(|(&l, &h)| (l, h))
        .collect();
    for (l, h) in touching {
        k.remove(&l);
        lo = lo.min(l);
        hi = hi.max(h);
    }
    k.insert(lo, hi);
    ret(Ok(0))
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (addr, len) = (a[0], a[1]);
    if addr % PAGE_SIZE != 0 {
        return ret(Err(EINVAL));
    }
    if len == 0 {
        return ret(Ok(0));
    }
    let Some(len) = page_len(len) else {
        return ret(Err(ENOMEM));
    };
    if prot_bits(a[2]) & PROT_EXEC != 0 && !vm.in_text_range(addr, len) {
        return Err(exec_unsupported(vm, "mprotect"));
    }
    ret(if vm.mem.protect(addr, len, prot_bits(a[2])) {
        Ok(0)
    } else {
        Err(ENOMEM)
    })
}

/// `madvise(addr, len, advice)`: `MADV_DONTNEED` zeroes the pages; every other advice is
/// a hint with no effect on what the guest can observe.
pub fn madvise(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (addr, len, advice) = (a[0], a[1], a[2]);
    if addr % PAGE_SIZE != 0 {
        return ret(Err(EINVAL));
    }
    if len == 0 {
        return ret(Ok(0));
    }
    let Some(len) = page_len(len) else {
        return ret(Err(EINVAL));
    };
    if addr as u64 + len as u64 > 1 << 32 {
        return ret(Err(EINVAL));
    }
    if advice == MADV_DONTNEED {
        vm.mem.discard(addr, len);
    }
    // Linux applies the advice to the mapped pages and reports a hole with ENOMEM.
    let mapped = (0..len >> PAGE_BITS)
        .all(|k| vm.mem.prot(addr + (k << PAGE_BITS)) & crate::vm::memory::MAPPED != 0);
    ret(if mapped { Ok(0) } else { Err(ENOMEM) })
}

/// `mincore(addr, len, vec)`: 1 for pages that hold data.
pub fn mincore(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let (addr, len, vec) = (a[0], a[1], a[2]);
    if addr % PAGE_SIZE != 0 {
        return ret(Err(EINVAL));
    }
    let Some(len) = page_len(len) else {
        return ret(Err(ENOMEM));
    };
    // A range past the end of the address space is not mapped memory (Linux: ENOMEM).
    if addr as u64 + len as u64 > 1 << 32 {
        return ret(Err(ENOMEM));
    }
    let mut out = Vec::new();
    for k in 0..len >> PAGE_BITS {
        let p = addr + (k << PAGE_BITS);
        if vm.mem.prot(p) & crate::vm::memory::MAPPED == 0 {
            return ret(Err(ENOMEM));
        }
        out.push(vm.mem.is_resident(p) as u8);
    }
    ret(vm.user_write(vec, &out).map(|_| 0))
}

/// `brk(addr)`: moves the program break; returns the (possibly unchanged) break.
pub fn brk(vm: &mut Vm, a: &Args) -> Result<Ret, VmError> {
    let want = a[0];
    let k = &vm.kernel;
    if want < k.brk_start || want as u64 >= MMAP_TOP as u64 {
        return ret(Ok(k.brk));
    }
    let old_end = k.brk.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    let new_end = want.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    if new_end > old_end {
        if !vm.mem.is_free(old_end, new_end - old_end) {
            return ret(Ok(vm.kernel.brk));
        }
        vm.mem
            .map(old_end, new_end - old_end, PROT_READ | PROT_WRITE);
    } else if new_end < old_end {
        vm.mem.unmap(new_end, old_end - new_end);
    }
    vm.kernel.brk = want;
    ret(Ok(want))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call, vm, DATA};
    use super::*;

    const MINCORE: u32 = 4217;

    #[test]
    fn mmap2_refuses_an_offset_that_overflows() {
        const MMAP2: u32 = 4210;
        // (page offset, length, expected error)
        let cases: &[(u32, u32, Option<u32>)] = &[
            (u32::MAX, 0x1000, Some(EOVERFLOW)),
            (u32::MAX - 1, 0x1000, None),
            (u32::MAX - 1, 0x1001, Some(EOVERFLOW)),
            (0x8000_0001, 0x2000, None),
            // The length first: an empty mapping is EINVAL.
            (u32::MAX, 0, Some(EINVAL)),
        ];
        for &(pgoff, len, want) in cases {
            let mut vm = vm();
            let got = call(&mut vm, MMAP2, [0, len, 3, 0x802, u32::MAX, pgoff]).unwrap();
            match want {
                Some(e) => assert_eq!(got, Ret::Err(e), "{pgoff:#x} {len:#x}"),
                None => assert!(matches!(got, Ret::Ok(_)), "{pgoff:#x} {len:#x}: {got:?}"),
            }
        }
        // A file's descriptor is looked up first.
        let mut vm = vm();
        let got = call(&mut vm, MMAP2, [0, 0x1000, 3, 2, 9, u32::MAX]).unwrap();
        assert_eq!(got, Ret::Err(EBADF));
    }

    #[test]
    fn mappings_go_elsewhere_than_unmapped_holes_while_they_can() {
        let mmap = |vm: &mut Vm, len: u32| match call(vm, 4090, [0, len, 3, 0x802, 0, 0]) {
            Ok(Ret::Ok(a)) => a,
            r => panic!("{r:?}"),
        };
        use super::super::testing::vm as new_vm;
        let mut vm = new_vm();
        let a = mmap(&mut vm, 0x2000);
        let b = mmap(&mut vm, 0x1000);
        assert_eq!(b, a - 0x1000, "top down");
        assert_eq!(
            call(&mut vm, 4091, [a, 0x2000, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        assert!(vm.mem.load32(a).is_err(), "unmapped");
        // The hole fits, but the next mapping goes below b; a hint may still take it.
        assert_eq!(mmap(&mut vm, 0x2000), b - 0x2000);
        let hinted = call(&mut vm, 4090, [a, 0x1000, 3, 0x802, 0, 0]).unwrap();
        assert_eq!(hinted, Ret::Ok(a));
        // With no other room, the hole is used.
        let mut vm = new_vm();
        let a = mmap(&mut vm, 0x2000);
        assert_eq!(
            call(&mut vm, 4091, [a, 0x2000, 0, 0, 0, 0]).unwrap(),
            Ret::Ok(0)
        );
        let fixed = |vm: &mut Vm, lo: u32, hi: u32| {
            let r = call(vm, 4090, [lo, hi - lo, 3, 0x812, 0, 0]).unwrap();
            assert_eq!(r, Ret::Ok(lo));
        };
        fixed(&mut vm, 0x1000, super::super::testing::BASE);
        fixed(&mut vm, DATA + 0x2000, a);
        assert_eq!(a + 0x2000, MMAP_TOP, "the first mapping is at the top");
        assert_eq!(mmap(&mut vm, 0x2000), a, "the only room left");
        // Past user space (TASK_SIZE): EINVAL, as Linux.
        let got = call(&mut vm, 4091, [0x8000_0000, 0x1000, 0, 0, 0, 0]).unwrap();
        assert_eq!(got, Ret::Err(EINVAL));
        let got = call(&mut vm, 4091, [TASK_SIZE - 0x1000, 0x2000, 0, 0, 0, 0]).unwrap();
        assert_eq!(got, Ret::Err(EINVAL));
    }

    #[test]
    fn madvise_reports_unmapped_ranges() {
        // (scenario, addr, len, advice, expected result)
        let cases: &[(&str, u32, u32, u32, Ret)] = &[
            ("mapped, DONTNEED", DATA, 0x2000, MADV_DONTNEED, Ret::Ok(0)),
            ("mapped, a hint", DATA, 0x1000, 8, Ret::Ok(0)),
            (
                "unmapped",
                0x1000_0000,
                0x1000,
                MADV_DONTNEED,
                Ret::Err(ENOMEM),
            ),
            ("runs past the mapping", DATA, 0x3000, 8, Ret::Err(ENOMEM)),
            ("wraps past 4 GiB", 0xffff_f000, 0x2000, 8, Ret::Err(EINVAL)),
            ("empty", 0x1000_0000, 0, 8, Ret::Ok(0)),
        ];
        for &(name, addr, len, advice, want) in cases {
            let mut vm = vm();
            let got = call(&mut vm, 4218, [addr, len, advice, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn mincore_reports_residency_and_rejects_ranges_past_the_address_space() {
        // (scenario, addr, len, expected result)
        let cases: &[(&str, u32, u32, Ret)] = &[
            ("two data pages", DATA, 0x2000, Ret::Ok(0)),
            ("misaligned", DATA + 1, 0x1000, Ret::Err(EINVAL)),
            ("unmapped page", 0x1000, 0x1000, Ret::Err(ENOMEM)),
            ("last page", 0xffff_f000, 0x1000, Ret::Ok(0)),
            ("wraps past 4 GiB", 0xffff_f000, 0x2000, Ret::Err(ENOMEM)),
        ];
        for &(name, addr, len, want) in cases {
            let mut vm = vm();
            // The first and last pages are mapped, so only the range check can refuse
            // a range that wraps from one to the other.
            vm.mem.map(0, 0x1000, PROT_READ);
            vm.mem.map(0xffff_f000, 0x1000, PROT_READ);
            let got = call(&mut vm, MINCORE, [addr, len, DATA + 0x100, 0, 0, 0]).unwrap();
            assert_eq!(got, want, "{name}");
        }
    }
}
