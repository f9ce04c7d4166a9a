//! Loading and validating guest ELF files.
//!
//! A zkm guest is a static, 32-bit, big-endian MIPS `ET_EXEC` file, as produced by
//! `GOOS=linux GOARCH=mips GOMIPS=softfloat go build`. [`Program::parse`] checks all of
//! that and returns the loadable segments, the entry point, the symbol table (to name the
//! Go function around a guest PC) and the Go build information when present.
//!
//! The [image id](Program::image_id) is the SHA-256 hash of everything that defines the
//! program's initial state; see [`Program::image_id`] for the exact encoding.

use std::fmt;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader, Sym};
use object::BigEndian;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What to do with a file that is not a zkm guest.
const HINT: &str = "zkm runs static big-endian MIPS32 ELF files: build the guest with \
                    `zkm build` (GOOS=linux GOARCH=mips GOMIPS=softfloat CGO_ENABLED=0)";

/// Why an ELF file cannot be used as a guest.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not an ELF file (bad magic bytes).\n{HINT}")]
    NotElf,
    #[error("truncated ELF file: {0}.\nThe file is incomplete; rebuild it with `zkm build`")]
    Truncated(String),
    #[error("64-bit ELF file: zkm runs 32-bit MIPS (GOARCH=mips), not 64-bit.\n{HINT}")]
    Not32Bit,
    #[error("little-endian ELF file (GOARCH=mipsle?): zkm runs big-endian MIPS.\n{HINT}")]
    LittleEndian,
    #[error("wrong machine: this ELF is for {0}, not MIPS.\n{HINT}")]
    WrongMachine(String),
    #[error("not an executable: ELF type is {0}, zkm needs ET_EXEC.\n{HINT}")]
    NotExecutable(String),
    #[error("dynamically linked ELF ({0}): zkm needs a static executable.\n{HINT}")]
    Dynamic(&'static str),
    #[error("invalid ELF: {0}.\n{HINT}")]
    Invalid(String),
}

impl crate::exit::ExitCode for ElfError {
    fn exit_code(&self) -> i32 {
        match self {
            ElfError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                crate::exit::NO_INPUT
            }
            ElfError::Io { .. } => crate::exit::FAILURE,
            _ => crate::exit::BAD_ELF,
        }
    }
}

/// One `PT_LOAD` segment: `data` is the file image, zero-extended to `mem_size` when loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u32,
    pub mem_size: u32,
    /// `PF_R | PF_W | PF_X` bits.
    pub flags: u32,
    pub data: Vec<u8>,
}

impl Segment {
    pub fn end(&self) -> u64 {
        self.vaddr as u64 + self.mem_size as u64
    }
    pub fn is_executable(&self) -> bool {
        self.flags & elf::PF_X != 0
    }
    pub fn is_writable(&self) -> bool {
        self.flags & elf::PF_W != 0
    }
    /// Flags as `r-x` style text.
    pub fn flag_string(&self) -> String {
        let f = |bit, c| if self.flags & bit != 0 { c } else { '-' };
        [f(elf::PF_R, 'r'), f(elf::PF_W, 'w'), f(elf::PF_X, 'x')]
            .iter()
            .collect()
    }
}

/// A function or object symbol from `.symtab`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub addr: u32,
    pub size: u32,
    pub name: String,
}

/// Go build information from the `.go.buildinfo` section (Go 1.18+ format).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GoBuildInfo {
    /// For example `go1.22.5`.
    pub go_version: String,
    /// The main package path (`path` line).
    pub path: Option<String>,
    /// The main module path (`mod` line).
    pub module: Option<String>,
}

/// A 32-byte image id. Displayed as 64 lowercase hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageId(pub [u8; 32]);

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for ImageId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A validated guest program.
#[derive(Clone, Debug)]
pub struct Program {
    pub entry: u32,
    /// Loadable segments, sorted by address, non-overlapping.
    pub segments: Vec<Segment>,
    /// Where the program headers are in guest memory (for `AT_PHDR`), if they are loaded.
    pub phdr_vaddr: Option<u32>,
    pub phnum: u16,
    pub phentsize: u16,
    /// `STT_FUNC` and `STT_OBJECT` symbols sorted by address.
    pub symbols: Vec<Symbol>,
    pub go: Option<GoBuildInfo>,
}

impl Program {
    /// Reads and validates the ELF at `path`.
    pub fn load(path: &Path) -> Result<Program, ElfError> {
        let data = std::fs::read(path).map_err(|source| ElfError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Program::parse(&data)
    }

    /// Validates `data` as a static big-endian MIPS32 executable.
    pub fn parse(data: &[u8]) -> Result<Program, ElfError> {
        check_ident(data)?;
        let header = elf::FileHeader32::<BigEndian>::parse(data)
            .map_err(|e| ElfError::Truncated(format!("header: {e}")))?;
        let endian = BigEndian;
        let machine = header.e_machine(endian);
        if machine != elf::EM_MIPS {
            return Err(ElfError::WrongMachine(machine_name(machine)));
        }
        let flags = header.e_flags(endian);
        let arch = flags & elf::EF_MIPS_ARCH;
        if matches!(
            arch,
            elf::EF_MIPS_ARCH_3
                | elf::EF_MIPS_ARCH_4
                | elf::EF_MIPS_ARCH_5
                | elf::EF_MIPS_ARCH_64
                | elf::EF_MIPS_ARCH_64R2
        ) {
            return Err(ElfError::WrongMachine(format!(
                "64-bit MIPS (e_flags {flags:#010x})"
            )));
        }
        match header.e_type(endian) {
            elf::ET_EXEC => {}
            elf::ET_DYN => return Err(ElfError::Dynamic("ET_DYN, position-independent")),
            other => return Err(ElfError::NotExecutable(type_name(other))),
        }

        let phdrs = header
            .program_headers(endian, data)
            .map_err(|e| ElfError::Truncated(format!("program headers: {e}")))?;
        let mut segments = Vec::new();
        let mut phdr_vaddr = None;
        for ph in phdrs {
            match ph.p_type(endian) {
                elf::PT_INTERP => return Err(ElfError::Dynamic("has a PT_INTERP interpreter")),
                elf::PT_DYNAMIC => return Err(ElfError::Dynamic("has a PT_DYNAMIC section")),
                elf::PT_PHDR => phdr_vaddr = Some(ph.p_vaddr(endian)),
                elf::PT_LOAD => {
                    let vaddr = ph.p_vaddr(endian);
                    let mem_size = ph.p_memsz(endian);
                    let file_size = ph.p_filesz(endian);
                    if file_size > mem_size {
                        return Err(ElfError::Invalid(format!(
                            "segment at {vaddr:#010x} has file size {file_size:#x} > memory size {mem_size:#x}"
                        )));
                    }
                    if vaddr as u64 + mem_size as u64 > 1 << 32 {
                        return Err(ElfError::Invalid(format!(
                            "segment at {vaddr:#010x} of size {mem_size:#x} wraps past 4 GiB"
                        )));
                    }
                    let bytes = ph.data(endian, data).map_err(|_| {
                        ElfError::Truncated(format!(
                            "segment at {vaddr:#010x} needs file bytes {:#x}..{:#x}, the file has {:#x}",
                            ph.p_offset(endian),
                            ph.p_offset(endian) as u64 + file_size as u64,
                            data.len()
                        ))
                    })?;
                    if mem_size == 0 {
                        continue;
                    }
                    segments.push(Segment {
                        vaddr,
                        mem_size,
                        flags: ph.p_flags(endian),
                        data: bytes.to_vec(),
                    });
                }
                _ => {}
            }
        }
        if segments.is_empty() {
            return Err(ElfError::Invalid("no loadable (PT_LOAD) segments".into()));
        }
        segments.sort_by_key(|s| s.vaddr);
        for w in segments.windows(2) {
            if w[0].end() > w[1].vaddr as u64 {
                return Err(ElfError::Invalid(format!(
                    "segments at {:#010x} and {:#010x} overlap",
                    w[0].vaddr, w[1].vaddr
                )));
            }
        }
        let entry = header.e_entry(endian);
        let in_text = segments.iter().any(|s| {
            s.is_executable() && entry >= s.vaddr && (entry as u64) < s.end() && entry % 4 == 0
        });
        if !in_text {
            return Err(ElfError::Invalid(format!(
                "entry point {entry:#010x} is not an aligned address in an executable segment"
            )));
        }
        let phoff = header.e_phoff(endian);
        if phdr_vaddr.is_none() {
            // Linux computes AT_PHDR from the first segment that maps the headers' file offset.
            for ph in phdrs {
                if ph.p_type(endian) == elf::PT_LOAD {
                    let off = ph.p_offset(endian);
                    if phoff >= off && phoff < off + ph.p_filesz(endian) {
                        phdr_vaddr = Some(ph.p_vaddr(endian) + (phoff - off));
                        break;
                    }
                }
            }
        }

        let (symbols, go) = read_sections(header, data)?;
        Ok(Program {
            entry,
            segments,
            phdr_vaddr,
            phnum: header.e_phnum(endian),
            phentsize: header.e_phentsize(endian),
            symbols,
            go,
        })
    }

    /// The SHA-256 content id of the program's initial state (`zkm-image-v1`). The image
    /// id a proof is verified against is another one, of the verifying key: see
    /// [`crate::proof::image_id`].
    ///
    /// It hashes, in order: the ASCII tag `zkm-image-v1`, the entry point, the number of
    /// loadable segments, then for each segment in address order its address, memory size,
    /// flags, file size (all 32-bit big-endian) and its file bytes. Sections, symbols and
    /// debug information do not count: stripping a binary keeps its id. The BSS is implied by
    /// the memory size and is zero.
    pub fn content_id(&self) -> ImageId {
        let mut h = Sha256::new();
        h.update(b"zkm-image-v1");
        h.update(self.entry.to_be_bytes());
        h.update((self.segments.len() as u32).to_be_bytes());
        for s in &self.segments {
            h.update(s.vaddr.to_be_bytes());
            h.update(s.mem_size.to_be_bytes());
            h.update(s.flags.to_be_bytes());
            h.update((s.data.len() as u32).to_be_bytes());
            h.update(&s.data);
        }
        ImageId(h.finalize().into())
    }

    /// The symbol whose range contains `addr`, if any.
    pub fn symbol_at(&self, addr: u32) -> Option<&Symbol> {
        let i = self.symbols.partition_point(|s| s.addr <= addr);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        let end = s.addr as u64 + s.size.max(1) as u64;
        ((addr as u64) < end).then_some(s)
    }

    /// `name+0xoff` for `addr`, or `?` when no symbol covers it.
    pub fn describe_addr(&self, addr: u32) -> String {
        match self.symbol_at(addr) {
            Some(s) if addr == s.addr => s.name.clone(),
            Some(s) => format!("{}+{:#x}", s.name, addr - s.addr),
            None => "?".into(),
        }
    }

    /// The address of a symbol by exact name.
    pub fn symbol_addr(&self, name: &str) -> Option<u32> {
        self.symbols.iter().find(|s| s.name == name).map(|s| s.addr)
    }
}

// Offsets in `e_ident`.
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const EI_NIDENT: usize = 16;

fn check_ident(data: &[u8]) -> Result<(), ElfError> {
    if data.len() < 4 || data[..4] != elf::ELFMAG {
        return Err(ElfError::NotElf);
    }
    if data.len() < EI_NIDENT {
        return Err(ElfError::Truncated("identification bytes".into()));
    }
    match data[EI_CLASS] {
        elf::ELFCLASS32 => {}
        elf::ELFCLASS64 => return Err(ElfError::Not32Bit),
        c => return Err(ElfError::Invalid(format!("unknown ELF class {c}"))),
    }
    match data[EI_DATA] {
        elf::ELFDATA2MSB => Ok(()),
        elf::ELFDATA2LSB => Err(ElfError::LittleEndian),
        d => Err(ElfError::Invalid(format!("unknown ELF data encoding {d}"))),
    }
}

type Sections = (Vec<Symbol>, Option<GoBuildInfo>);

fn read_sections(header: &elf::FileHeader32<BigEndian>, data: &[u8]) -> Result<Sections, ElfError> {
    let endian = BigEndian;
    let sections = header
        .sections(endian, data)
        .map_err(|e| ElfError::Truncated(format!("section headers: {e}")))?;
    let mut symbols = Vec::new();
    if let Ok(table) = sections.symbols(endian, data, elf::SHT_SYMTAB) {
        for sym in table.iter() {
            let kind = sym.st_type();
            if kind != elf::STT_FUNC && kind != elf::STT_OBJECT {
                continue;
            }
            let Ok(name) = sym.name(endian, table.strings()) else {
                continue;
            };
            symbols.push(Symbol {
                addr: sym.st_value(endian),
                size: sym.st_size(endian),
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
    }
    symbols.sort_by(|a, b| (a.addr, &a.name).cmp(&(b.addr, &b.name)));
    symbols.dedup_by_key(|s| s.addr);

    let mut go = None;
    for section in sections.iter() {
        let Ok(name) = sections.section_name(endian, section) else {
            continue;
        };
        if name == b".go.buildinfo" {
            if let Ok(bytes) = section.data(endian, data) {
                go = parse_go_buildinfo(bytes);
            }
        }
    }
    Ok((symbols, go))
}

/// Parses the Go 1.18+ inline build-info blob: a 32-byte header starting with
/// `\xff Go buildinf:`, then two varint-length-prefixed strings (version, module info).
fn parse_go_buildinfo(b: &[u8]) -> Option<GoBuildInfo> {
    const MAGIC: &[u8] = b"\xff Go buildinf:";
    if b.len() < 32 || !b.starts_with(MAGIC) || b[15] & 2 == 0 {
        return None;
    }
    let mut rest = &b[32..];
    let mut next = || -> Option<&[u8]> {
        let (len, n) = read_uvarint(rest)?;
        let s = rest.get(n..n.checked_add(usize::try_from(len).ok()?)?)?;
        rest = &rest[n + s.len()..];
        Some(s)
    };
    let go_version = String::from_utf8_lossy(next()?).into_owned();
    let mut modinfo = next().unwrap_or_default();
    // The module info is framed by two 16-byte sentinels.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = &modinfo[16..modinfo.len() - 16];
    }
    let modinfo = String::from_utf8_lossy(modinfo);
    let field = |key: &str| {
        modinfo.lines().find_map(|l| {
            let mut parts = l.split('\t');
            (parts.next() == Some(key)).then(|| parts.next().unwrap_or("").to_string())
        })
    };
    Some(GoBuildInfo {
        go_version,
        path: field("path"),
        module: field("mod"),
    })
}

fn read_uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

fn machine_name(m: u16) -> String {
    let name = match m {
        elf::EM_386 => "x86 (EM_386)",
        elf::EM_X86_64 => "x86-64 (EM_X86_64)",
        elf::EM_ARM => "32-bit Arm (EM_ARM)",
        elf::EM_AARCH64 => "64-bit Arm (EM_AARCH64)",
        elf::EM_RISCV => "RISC-V (EM_RISCV)",
        elf::EM_PPC => "PowerPC (EM_PPC)",
        elf::EM_PPC64 => "PowerPC64 (EM_PPC64)",
        elf::EM_SPARC => "SPARC (EM_SPARC)",
        elf::EM_S390 => "s390 (EM_S390)",
        _ => return format!("machine {m}"),
    };
    name.to_string()
}

fn type_name(t: u16) -> String {
    match t {
        elf::ET_NONE => "ET_NONE".into(),
        elf::ET_REL => "ET_REL (an object file; link it first)".into(),
        elf::ET_CORE => "ET_CORE (a core dump)".into(),
        t => format!("{t:#x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_decodes_multibyte() {
        assert_eq!(read_uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(read_uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(read_uvarint(&[0x80]), None);
    }

    #[test]
    fn rejects_non_elf_and_wrong_class() {
        assert!(matches!(Program::parse(b"hello"), Err(ElfError::NotElf)));
        let mut ident = [0u8; 64];
        ident[..4].copy_from_slice(&elf::ELFMAG);
        ident[EI_CLASS] = elf::ELFCLASS64;
        assert!(matches!(Program::parse(&ident), Err(ElfError::Not32Bit)));
        ident[EI_CLASS] = elf::ELFCLASS32;
        ident[EI_DATA] = elf::ELFDATA2LSB;
        assert!(matches!(
            Program::parse(&ident),
            Err(ElfError::LittleEndian)
        ));
        assert!(matches!(
            Program::parse(&ident[..10]),
            Err(ElfError::Truncated(_))
        ));
    }
}
