//! Building the initial process image: segments, BSS, stack, argv/envp/auxv.
//!
//! The stack is laid out as Linux's `create_elf_tables` does for o32: from the top, the
//! argument and environment strings, the 16 `AT_RANDOM` bytes, then (16-byte aligned)
//! `argc`, the `argv` pointers, NULL, the `envp` pointers, NULL and the auxiliary vector,
//! with `$sp` pointing at `argc`.

use super::memory::{Memory, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::elf::Program;

/// The highest stack address (exclusive), as on a 32-bit MIPS Linux with a 2 GiB user space.
pub const STACK_TOP: u32 = 0x7fff_f000;
/// The stack size reserved below [`STACK_TOP`] (the default 8 MiB `RLIMIT_STACK`).
pub const STACK_SIZE: u32 = 8 << 20;

// Auxiliary vector tags.
const AT_NULL: u32 = 0;
const AT_PHDR: u32 = 3;
const AT_PHENT: u32 = 4;
const AT_PHNUM: u32 = 5;
const AT_PAGESZ: u32 = 6;
const AT_BASE: u32 = 7;
const AT_FLAGS: u32 = 8;
const AT_ENTRY: u32 = 9;
const AT_UID: u32 = 11;
const AT_EUID: u32 = 12;
const AT_GID: u32 = 13;
const AT_EGID: u32 = 14;
const AT_PLATFORM: u32 = 15;
const AT_HWCAP: u32 = 16;
const AT_CLKTCK: u32 = 17;
const AT_SECURE: u32 = 23;
const AT_RANDOM: u32 = 25;
const AT_HWCAP2: u32 = 26;
const AT_EXECFN: u32 = 31;

/// The 16 bytes `AT_RANDOM` points at. They seed Go's `runtime.fastrand` and map hashing,
/// so they are a fixed constant: every run of the same program sees the same values.
pub const AT_RANDOM_BYTES: [u8; 16] = *b"zkm-deterministc";

/// What the loader produced.
pub struct Image {
    pub sp: u32,
    /// The end of the highest loaded segment, page-aligned: the initial program break.
    pub brk: u32,
}

/// Maps `program`'s segments into `mem` and builds the initial stack.
pub fn load(
    mem: &mut Memory,
    program: &Program,
    argv: &[String],
    envp: &[String],
) -> Result<Image, String> {
    // Map every segment first, then copy the file bytes: two segments may share a page
    // (their bytes never overlap), and mapping the second must not wipe the first's data.
    // On a shared page the later segment's protection wins, as with Linux's MAP_FIXED.
    let mut brk = 0u32;
    for seg in &program.segments {
        let start = seg.vaddr & !(PAGE_SIZE - 1);
        let end = seg.end().div_ceil(PAGE_SIZE as u64) * PAGE_SIZE as u64;
        if end > STACK_TOP as u64 - STACK_SIZE as u64 {
            return Err(format!(
                "segment at {:#010x} reaches into the stack area above {:#010x}",
                seg.vaddr,
                STACK_TOP - STACK_SIZE
            ));
        }
        let mut prot = PROT_READ;
        if seg.is_writable() {
            prot |= PROT_WRITE;
        }
        if seg.is_executable() {
            prot |= PROT_EXEC;
        }
        mem.map(start, (end - start as u64) as u32, prot);
        brk = brk.max(end as u32);
    }
    for seg in &program.segments {
        // The BSS (mem_size beyond the file bytes) is already zero.
        mem.poke_bytes(seg.vaddr, &seg.data)
            .map_err(|f| format!("cannot fill segment at {:#x}: {f:?}", seg.vaddr))?;
    }

    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE);
    let stack = initial_stack(&AuxFacts::of(program), argv, envp)?;
    mem.write_bytes(stack.sp, &stack.bytes)
        .map_err(|f| format!("stack overflow while building the initial stack: {f:?}"))?;
    let sp = stack.sp;
    Ok(Image { sp, brk })
}

/// What the initial stack's auxiliary vector says about the program, besides constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuxFacts {
    pub entry: u32,
    /// `AT_PHDR` (0 when the program headers are not loaded).
    pub phdr: u32,
    pub phent: u32,
    pub phnum: u32,
}

impl AuxFacts {
    pub fn of(program: &Program) -> AuxFacts {
        AuxFacts {
            entry: program.entry,
            phdr: program.phdr_vaddr.unwrap_or(0),
            phent: program.phentsize as u32,
            phnum: program.phnum as u32,
        }
    }
}

/// The initial stack: `bytes` are its contents from `sp` up to [`STACK_TOP`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialStack {
    pub sp: u32,
    pub bytes: Vec<u8>,
}

/// Lays out the initial stack for `argv` and `envp`; a pure function of its arguments, so
/// that a verifier rebuilds exactly what the VM starts with.
pub fn initial_stack(
    facts: &AuxFacts,
    argv: &[String],
    envp: &[String],
) -> Result<InitialStack, String> {
    // Built downwards from STACK_TOP: `pieces` in push order, the last one lowest.
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let mut sp = STACK_TOP;
    let mut push_bytes = |pieces: &mut Vec<Vec<u8>>, bytes: &[u8]| -> Result<u32, String> {
        if (STACK_TOP - sp) as usize + bytes.len() > (STACK_SIZE / 2) as usize {
            return Err("the arguments and environment do not fit in the stack".into());
        }
        sp -= bytes.len() as u32;
        pieces.push(bytes.to_vec());
        Ok(sp)
    };
    // Strings: the exec file name, environment and arguments.
    let cstr = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    };
    let execfn = push_bytes(
        &mut pieces,
        &cstr(argv.first().map(String::as_str).unwrap_or("")),
    )?;
    let mut env_ptrs = Vec::new();
    for e in envp.iter().rev() {
        env_ptrs.push(push_bytes(&mut pieces, &cstr(e))?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::new();
    for a in argv.iter().rev() {
        arg_ptrs.push(push_bytes(&mut pieces, &cstr(a))?);
    }
    arg_ptrs.reverse();
    let platform = push_bytes(&mut pieces, b"mips\0")?;
    let random = push_bytes(&mut pieces, &AT_RANDOM_BYTES)?;

    let auxv: Vec<(u32, u32)> = vec![
        (AT_HWCAP, 0),
        (AT_HWCAP2, 0),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, facts.phdr),
        (AT_PHENT, facts.phent),
        (AT_PHNUM, facts.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, facts.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_NULL, 0),
    ];
    let mut words = vec![argv.len() as u32];
    words.extend(&arg_ptrs);
    words.push(0);
    words.extend(&env_ptrs);
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    let top = sp;
    let sp = (top - 4 * words.len() as u32) & !15;
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    // The alignment gap between the vector and the strings is zero.
    bytes.resize((top - sp) as usize, 0);
    for p in pieces.iter().rev() {
        bytes.extend_from_slice(p);
    }
    Ok(InitialStack { sp, bytes })
}
