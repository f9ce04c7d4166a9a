//! Guest memory: a flat page table of 4 KiB pages over the 32-bit address space.
//!
//! Every page has a protection byte (`PROT_*` bits plus [`MAPPED`]). Data pages are
//! allocated, zero-filled, on first access to a mapped readable page, so reserving a large
//! `PROT_NONE` range (as the Go runtime does for its heap arena) costs nothing. A page that
//! is present in the table is readable; stores also check the `PROT_WRITE` bit. Pages made
//! inaccessible by `mprotect` are parked aside, so their contents survive a later
//! `mprotect` back to readable, as on Linux.

use std::collections::BTreeMap;

/// log2 of the page size.
pub const PAGE_BITS: u32 = 12;
/// The guest page size (`AT_PAGESZ`).
pub const PAGE_SIZE: u32 = 1 << PAGE_BITS;
const NUM_PAGES: usize = 1 << (32 - PAGE_BITS);

/// `PROT_READ`.
pub const PROT_READ: u8 = 1;
/// `PROT_WRITE`.
pub const PROT_WRITE: u8 = 2;
/// `PROT_EXEC`.
pub const PROT_EXEC: u8 = 4;
/// The page belongs to some mapping (possibly `PROT_NONE`).
pub const MAPPED: u8 = 8;

type Page = [u8; PAGE_SIZE as usize];

/// Why a guest memory access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No mapping, or the mapping forbids the access (SIGSEGV).
    Unmapped(u32),
    /// The address is not a multiple of the access size (SIGBUS).
    Misaligned(u32),
}

impl Fault {
    /// The faulting address.
    pub fn addr(self) -> u32 {
        match self {
            Fault::Unmapped(a) | Fault::Misaligned(a) => a,
        }
    }
}

/// A memory as a checkpoint stores it, borrowed: the pages that hold data and the parked
/// ones, each with its number, the protection bytes as runs `(first page, count, prot)`
/// of non-zero bytes, and the non-zero words of the touched-page bits.
#[derive(serde::Serialize)]
pub(crate) struct ImageRef<'a> {
    pages: Vec<(u32, &'a [u8])>,
    parked: Vec<(u32, &'a [u8])>,
    prot: Vec<(u32, u32, u8)>,
    pages_touched: u64,
    ever_touched: Vec<(u32, u64)>,
}

/// [`ImageRef`], owned, as a checkpoint is read back.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Image {
    pages: Vec<(u32, Vec<u8>)>,
    parked: Vec<(u32, Vec<u8>)>,
    prot: Vec<(u32, u32, u8)>,
    pages_touched: u64,
    ever_touched: Vec<(u32, u64)>,
}

/// The guest's address space.
pub struct Memory {
    pages: Vec<Option<Box<Page>>>,
    prot: Vec<u8>,
    parked: BTreeMap<u32, Box<Page>>,
    /// Number of distinct data pages ever allocated (a page dropped and allocated again
    /// counts once).
    pub pages_touched: u64,
    /// One bit per page: whether it was ever allocated.
    ever_touched: Vec<u64>,
    /// An address range `[lo, hi)` whose executable contents or protection changed since
    /// the VM last decoded it (a write to a writable and executable page, or a mapping
    /// change): the VM re-decodes it before running on.
    pub code_dirty: Option<(u32, u64)>,
    /// In a traced run, what the kernel did since the VM last handed it to the tracer
    /// (`None` in an untraced run, which logs nothing).
    pub(crate) log: Option<Vec<super::trace::KernelEvent>>,
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

impl Memory {
    /// An empty address space: nothing is mapped.
    pub fn new() -> Memory {
        let mut pages = Vec::with_capacity(NUM_PAGES);
        pages.resize_with(NUM_PAGES, || None);
        Memory {
            pages,
            prot: vec![0; NUM_PAGES],
            parked: BTreeMap::new(),
            pages_touched: 0,
            ever_touched: vec![0; NUM_PAGES / 64],
            code_dirty: None,
            log: None,
        }
    }

    /// The protection byte of the page holding `addr`.
    pub fn prot(&self, addr: u32) -> u8 {
        self.prot[(addr >> PAGE_BITS) as usize]
    }

    /// Whether every page of `[start, start+len)` is unmapped.
    pub fn is_free(&self, start: u32, len: u32) -> bool {
        let first = (start >> PAGE_BITS) as usize;
        let n = len.div_ceil(PAGE_SIZE) as usize;
        first + n <= NUM_PAGES && self.prot[first..first + n].iter().all(|&p| p & MAPPED == 0)
    }

    /// Maps `[start, start+len)` (page aligned) with `prot`, discarding old contents: the
    /// pages read as zero afterwards, like a fresh anonymous `mmap`.
    pub fn map(&mut self, start: u32, len: u32, prot: u8) {
        self.log_zeroed(start, len, Some(prot | MAPPED));
        self.for_pages(start, len, |m, pn| {
            m.pages[pn] = None;
            m.parked.remove(&(pn as u32));
            m.prot[pn] = prot | MAPPED;
        });
    }

    /// Unmaps `[start, start+len)`.
    pub fn unmap(&mut self, start: u32, len: u32) {
        self.log_zeroed(start, len, Some(0));
        self.for_pages(start, len, |m, pn| {
            m.pages[pn] = None;
            m.parked.remove(&(pn as u32));
            m.prot[pn] = 0;
        });
    }

    /// Drops the contents of the mapped pages of `[start, start+len)` so that they read as
    /// zero (`MADV_DONTNEED` on private anonymous memory).
    pub fn discard(&mut self, start: u32, len: u32) {
        self.log_zeroed(start, len, None);
        self.for_pages(start, len, |m, pn| {
            m.pages[pn] = None;
            m.parked.remove(&(pn as u32));
        });
    }

    /// Changes the protection of mapped pages; returns false if some page is unmapped.
    pub fn protect(&mut self, start: u32, len: u32, prot: u8) -> bool {
        let first = (start >> PAGE_BITS) as usize;
        let n = len.div_ceil(PAGE_SIZE) as usize;
        if first + n > NUM_PAGES || self.prot[first..first + n].iter().any(|&p| p & MAPPED == 0) {
            return false;
        }
        self.log_event(super::trace::KernelEvent::Protect {
            start,
            len,
            prot: prot | MAPPED,
        });
        self.for_pages(start, len, |m, pn| {
            m.prot[pn] = prot | MAPPED;
            if prot & (PROT_READ | PROT_WRITE | PROT_EXEC) == 0 {
                if let Some(page) = m.pages[pn].take() {
                    m.parked.insert(pn as u32, page);
                }
            } else if let Some(page) = m.parked.remove(&(pn as u32)) {
                m.pages[pn] = Some(page);
            }
        });
        true
    }

    /// Whether the page of `addr` currently has data (for `mincore`).
    pub fn is_resident(&self, addr: u32) -> bool {
        self.pages[(addr >> PAGE_BITS) as usize].is_some()
    }

    /// Feeds every page that holds data, in address order (page number, protection,
    /// contents), into `h`. Pages never touched read as zero and are not included.
    pub fn hash_into(&self, h: &mut impl sha2::Digest) {
        for (pn, p) in self.resident() {
            h.update(pn.to_be_bytes());
            h.update([self.prot[pn as usize]]);
            h.update(&p[..]);
        }
        for (pn, p) in &self.parked {
            h.update(pn.to_be_bytes());
            h.update([self.prot[*pn as usize]]);
            h.update(&p[..]);
        }
    }

    /// The pages in the table (those that hold data and are accessible), in address
    /// order, with their numbers. Parked pages are not among them.
    fn resident(&self) -> impl Iterator<Item = (u32, &Page)> {
        (self.pages.iter().enumerate()).filter_map(|(pn, p)| Some((pn as u32, p.as_deref()?)))
    }

    /// The pages and protections, borrowed, as a checkpoint stores them.
    pub(crate) fn image(&self) -> ImageRef<'_> {
        let pages = self.resident().map(|(pn, p)| (pn, &p[..])).collect();
        let parked = self.parked.iter().map(|(&pn, p)| (pn, &p[..])).collect();
        let mut prot: Vec<(u32, u32, u8)> = Vec::new();
        for (pn, &b) in self.prot.iter().enumerate() {
            match prot.last_mut() {
                Some((first, n, p)) if *p == b && (*first + *n) as usize == pn => *n += 1,
                _ if b != 0 => prot.push((pn as u32, 1, b)),
                _ => {}
            }
        }
        let ever_touched = (self.ever_touched.iter().enumerate())
            .filter(|(_, &w)| w != 0)
            .map(|(i, &w)| (i as u32, w))
            .collect();
        ImageRef {
            pages,
            parked,
            prot,
            pages_touched: self.pages_touched,
            ever_touched,
        }
    }

    /// The memory a checkpoint's image describes, or what is wrong with the image. Every
    /// page number is in range and given once, every page is a page long, and a page with
    /// data is readable (a parked one is not), as [`Memory`] keeps them.
    pub(crate) fn from_image(img: Image) -> Result<Memory, String> {
        let mut m = Memory::new();
        let mut end = 0u64;
        for (first, n, prot) in img.prot {
            let stop = first as u64 + n as u64;
            if (first as u64) < end || n == 0 || stop > NUM_PAGES as u64 {
                return Err(format!(
                    "protection run {first}+{n} overlaps or is out of range"
                ));
            }
            if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | MAPPED) != 0 || prot & MAPPED == 0 {
                return Err(format!(
                    "protection {prot:#x} of page {first} is not a mapping's"
                ));
            }
            m.prot[first as usize..stop as usize].fill(prot);
            end = stop;
        }
        let accessible =
            |m: &Memory, pn: u32| m.prot[pn as usize] & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0;
        let page = |pn: u32, bytes: Vec<u8>| -> Result<Box<Page>, String> {
            if pn as usize >= NUM_PAGES {
                return Err(format!("page {pn} is out of range"));
            }
            let page: Box<Page> = bytes
                .into_boxed_slice()
                .try_into()
                .map_err(|b: Box<[u8]>| format!("page {pn} holds {} bytes", b.len()))?;
            Ok(page)
        };
        let mut last = None;
        for (pn, bytes) in img.pages {
            let data = page(pn, bytes)?;
            if last >= Some(pn) || !accessible(&m, pn) {
                return Err(format!(
                    "page {pn} is repeated, out of order, or not accessible"
                ));
            }
            last = Some(pn);
            m.pages[pn as usize] = Some(data);
        }
        for (pn, bytes) in img.parked {
            let data = page(pn, bytes)?;
            if m.prot[pn as usize] & MAPPED == 0 || accessible(&m, pn) || m.parked.contains_key(&pn)
            {
                return Err(format!(
                    "parked page {pn} is repeated or not an inaccessible mapping's"
                ));
            }
            m.parked.insert(pn, data);
        }
        for (i, w) in img.ever_touched {
            let Some(slot) = m.ever_touched.get_mut(i as usize) else {
                return Err(format!("touched-page word {i} is out of range"));
            };
            *slot = w;
        }
        m.pages_touched = img.pages_touched;
        Ok(m)
    }

    /// Logs `ev` in a traced run.
    #[inline]
    pub(crate) fn log_event(&mut self, ev: super::trace::KernelEvent) {
        if let Some(log) = &mut self.log {
            log.push(ev);
        }
    }

    fn log_zeroed(&mut self, start: u32, len: u32, prot: Option<u8>) {
        self.log_event(super::trace::KernelEvent::Zeroed { start, len, prot });
    }

    /// Calls `f(addr, bytes)` for every page that holds data, parked pages too, in no
    /// particular order: `addr` is the page's first byte address.
    pub fn for_each_page(&self, mut f: impl FnMut(u32, &[u8])) {
        let parked = self.parked.iter().map(|(&pn, p)| (pn, &**p));
        for (pn, page) in self.resident().chain(parked) {
            f(pn << PAGE_BITS, &page[..]);
        }
    }

    /// Calls `f(addr, value)` for every non-zero word that holds data (parked pages too),
    /// `addr` a byte address.
    pub fn for_each_word(&self, mut f: impl FnMut(u32, u32)) {
        self.for_each_page(|addr, page| {
            for (k, w) in page.chunks_exact(4).enumerate() {
                let v = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                if v != 0 {
                    f(addr + 4 * k as u32, v);
                }
            }
        });
    }

    /// Records that `[lo, hi)` may hold changed code.
    fn mark_code(&mut self, lo: u32, hi: u64) {
        self.code_dirty = Some(match self.code_dirty {
            Some((a, b)) => (a.min(lo), b.max(hi)),
            None => (lo, hi),
        });
    }

    fn for_pages(&mut self, start: u32, len: u32, mut f: impl FnMut(&mut Memory, usize)) {
        let first = (start >> PAGE_BITS) as u64;
        let last = (start as u64 + len as u64).div_ceil(PAGE_SIZE as u64);
        self.mark_code((first as u32) << PAGE_BITS, last << PAGE_BITS);
        for pn in first..last.min(NUM_PAGES as u64) {
            f(self, pn as usize);
        }
    }

    /// The page holding `addr` for reading, allocating a zero page on first touch.
    #[inline]
    fn page(&mut self, addr: u32) -> Result<&Page, Fault> {
        let pn = (addr >> PAGE_BITS) as usize;
        if self.pages[pn].is_none() {
            self.fill(pn, addr, false)?;
        }
        match &self.pages[pn] {
            Some(p) => Ok(p),
            None => Err(Fault::Unmapped(addr)),
        }
    }

    #[inline]
    fn page_mut(&mut self, addr: u32) -> Result<&mut Page, Fault> {
        let pn = (addr >> PAGE_BITS) as usize;
        let prot = self.prot[pn];
        if prot & (PROT_WRITE | PROT_EXEC) != PROT_WRITE {
            if prot & PROT_WRITE == 0 {
                return Err(Fault::Unmapped(addr));
            }
            let page = addr & !(PAGE_SIZE - 1);
            self.mark_code(page, page as u64 + PAGE_SIZE as u64);
        }
        if self.pages[pn].is_none() {
            self.fill(pn, addr, true)?;
        }
        match &mut self.pages[pn] {
            Some(p) => Ok(p),
            None => Err(Fault::Unmapped(addr)),
        }
    }

    #[cold]
    fn fill(&mut self, pn: usize, addr: u32, write: bool) -> Result<(), Fault> {
        let prot = self.prot[pn];
        let need = if write {
            PROT_WRITE
        } else {
            PROT_READ | PROT_WRITE | PROT_EXEC
        };
        if prot & MAPPED == 0 || prot & need == 0 {
            return Err(Fault::Unmapped(addr));
        }
        self.pages[pn] = Some(Box::new([0; PAGE_SIZE as usize]));
        let (word, bit) = (pn / 64, 1u64 << (pn % 64));
        if self.ever_touched[word] & bit == 0 {
            self.ever_touched[word] |= bit;
            self.pages_touched += 1;
        }
        Ok(())
    }

    /// Loads a big-endian word; `addr` must be 4-aligned.
    #[inline]
    pub fn load32(&mut self, addr: u32) -> Result<u32, Fault> {
        if addr & 3 != 0 {
            return Err(Fault::Misaligned(addr));
        }
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        let p = self.page(addr)?;
        Ok(u32::from_be_bytes([
            p[off],
            p[off + 1],
            p[off + 2],
            p[off + 3],
        ]))
    }

    /// Loads a big-endian halfword; `addr` must be 2-aligned.
    #[inline]
    pub fn load16(&mut self, addr: u32) -> Result<u16, Fault> {
        if addr & 1 != 0 {
            return Err(Fault::Misaligned(addr));
        }
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        let p = self.page(addr)?;
        Ok(u16::from_be_bytes([p[off], p[off + 1]]))
    }

    /// Loads a byte.
    #[inline]
    pub fn load8(&mut self, addr: u32) -> Result<u8, Fault> {
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        Ok(self.page(addr)?[off])
    }

    /// Stores a big-endian word; `addr` must be 4-aligned.
    #[inline]
    pub fn store32(&mut self, addr: u32, v: u32) -> Result<(), Fault> {
        if addr & 3 != 0 {
            return Err(Fault::Misaligned(addr));
        }
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        self.page_mut(addr)?[off..off + 4].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }

    /// Stores a big-endian halfword; `addr` must be 2-aligned.
    #[inline]
    pub fn store16(&mut self, addr: u32, v: u16) -> Result<(), Fault> {
        if addr & 1 != 0 {
            return Err(Fault::Misaligned(addr));
        }
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        self.page_mut(addr)?[off..off + 2].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }

    /// Stores a byte.
    #[inline]
    pub fn store8(&mut self, addr: u32, v: u8) -> Result<(), Fault> {
        let off = (addr & (PAGE_SIZE - 1)) as usize;
        self.page_mut(addr)?[off] = v;
        Ok(())
    }

    /// Copies `len` guest bytes at `addr` out (for system calls).
    pub fn read_bytes(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, Fault> {
        let mut out = Vec::with_capacity(len as usize);
        let mut a = addr as u64;
        let end = addr as u64 + len as u64;
        while a < end {
            if a >= 1 << 32 {
                return Err(Fault::Unmapped(u32::MAX));
            }
            let off = (a as u32 & (PAGE_SIZE - 1)) as usize;
            let n = ((PAGE_SIZE as usize - off) as u64).min(end - a) as usize;
            let p = match self.page(a as u32) {
                Ok(p) => p,
                Err(e) => {
                    self.log_read(addr, &out);
                    return Err(e);
                }
            };
            out.extend_from_slice(&p[off..off + n]);
            a += n as u64;
        }
        self.log_read(addr, &out);
        Ok(out)
    }

    /// Copies `data` into guest memory at `addr` (for system calls and the loader).
    pub fn write_bytes(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        let mut a = addr as u64;
        let mut rest = data;
        while !rest.is_empty() {
            if a >= 1 << 32 {
                return Err(Fault::Unmapped(u32::MAX));
            }
            let off = (a as u32 & (PAGE_SIZE - 1)) as usize;
            let n = (PAGE_SIZE as usize - off).min(rest.len());
            let p = self.page_mut(a as u32)?;
            p[off..off + n].copy_from_slice(&rest[..n]);
            if self.log.is_some() {
                let bytes = rest[..n].to_vec();
                self.log_event(super::trace::KernelEvent::Write {
                    addr: a as u32,
                    bytes,
                });
            }
            rest = &rest[n..];
            a += n as u64;
        }
        Ok(())
    }

    /// Logs the kernel's read of `bytes` at `addr` (those it could read).
    fn log_read(&mut self, addr: u32, bytes: &[u8]) {
        if self.log.is_some() && !bytes.is_empty() {
            self.log_event(super::trace::KernelEvent::Read {
                addr,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Reads a guest word for the kernel, logged as such in a traced run.
    pub fn kernel_load32(&mut self, addr: u32) -> Result<u32, Fault> {
        let v = self.load32(addr)?;
        self.log_read(addr, &v.to_be_bytes());
        Ok(v)
    }

    /// Writes a guest word for the kernel, logged as such in a traced run.
    pub fn kernel_store32(&mut self, addr: u32, v: u32) -> Result<(), Fault> {
        self.store32(addr, v)?;
        if self.log.is_some() {
            self.log_event(super::trace::KernelEvent::Write {
                addr,
                bytes: v.to_be_bytes().to_vec(),
            });
        }
        Ok(())
    }

    /// Writes `data` ignoring page protection (the loader filling read-only segments).
    pub fn poke_bytes(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        let first = (addr >> PAGE_BITS) as usize;
        let last = ((addr as u64 + data.len() as u64).div_ceil(PAGE_SIZE as u64)) as usize;
        let saved: Vec<u8> = self.prot[first..last].to_vec();
        for pn in first..last {
            if self.prot[pn] & MAPPED == 0 {
                return Err(Fault::Unmapped((pn as u32) << PAGE_BITS));
            }
            self.prot[pn] |= PROT_WRITE;
        }
        let r = self.write_bytes(addr, data);
        self.prot[first..last].copy_from_slice(&saved);
        r
    }

    /// Reads a NUL-terminated string of at most `max` bytes.
    pub fn read_cstr(&mut self, addr: u32, max: u32) -> Result<Vec<u8>, Fault> {
        let mut out = Vec::new();
        for i in 0..max {
            let b = match self.load8(addr.wrapping_add(i)) {
                Ok(b) => b,
                Err(e) => {
                    self.log_read(addr, &out);
                    return Err(e);
                }
            };
            if b == 0 {
                out.push(0);
                self.log_read(addr, &out);
                out.pop();
                return Ok(out);
            }
            out.push(b);
        }
        self.log_read(addr, &out);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_access_faults_and_mapped_reads_zero() {
        let mut m = Memory::new();
        assert_eq!(m.load32(0x1000), Err(Fault::Unmapped(0x1000)));
        m.map(0x1000, 0x2000, PROT_READ | PROT_WRITE);
        assert_eq!(m.load32(0x1ffc), Ok(0));
        m.store32(0x1ffc, 0x11223344).unwrap();
        assert_eq!(m.load8(0x1ffd), Ok(0x22));
        assert_eq!(m.load16(0x1ffe), Ok(0x3344));
        assert_eq!(m.load32(0x1ffe), Err(Fault::Misaligned(0x1ffe)));
        assert_eq!(m.pages_touched, 1);
    }

    #[test]
    fn read_only_pages_reject_stores_and_protect_keeps_data() {
        let mut m = Memory::new();
        m.map(0x4000, 0x1000, PROT_READ | PROT_WRITE);
        m.store32(0x4000, 7).unwrap();
        assert!(m.protect(0x4000, 0x1000, 0));
        assert!(m.load32(0x4000).is_err());
        assert!(m.protect(0x4000, 0x1000, PROT_READ));
        assert_eq!(m.load32(0x4000), Ok(7));
        assert_eq!(m.store32(0x4000, 1), Err(Fault::Unmapped(0x4000)));
        m.discard(0x4000, 0x1000);
        assert_eq!(m.load32(0x4000), Ok(0));
    }

    #[test]
    fn pages_touched_counts_each_page_once() {
        let mut m = Memory::new();
        m.map(0x1000, 0x2000, PROT_READ | PROT_WRITE);
        m.store32(0x1000, 1).unwrap();
        m.store32(0x2000, 1).unwrap();
        m.store32(0x2004, 1).unwrap();
        assert_eq!(m.pages_touched, 2);
        // Refills after a discard and after unmap + map count no more.
        m.discard(0x1000, 0x1000);
        m.store32(0x1000, 1).unwrap();
        m.unmap(0x2000, 0x1000);
        m.map(0x2000, 0x1000, PROT_READ);
        assert_eq!(m.load32(0x2000), Ok(0));
        assert_eq!(m.pages_touched, 2, "refilled pages count once");
    }

    #[test]
    fn byte_copies_cross_pages() {
        let mut m = Memory::new();
        m.map(0x1000, 0x2000, PROT_READ | PROT_WRITE);
        let data: Vec<u8> = (0..100).collect();
        m.write_bytes(0x1fd0, &data).unwrap();
        assert_eq!(m.read_bytes(0x1fd0, 100).unwrap(), data);
        assert!(m.write_bytes(0x2fd0, &data).is_err());
    }
}
