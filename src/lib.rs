//! zkm: prove Go programs with STARKs and test Bitcoin challenge games.
//!
//! The library is organised by concern, in the order data flows through it:
//!
//! - [`gobuild`]: find the user's Go toolchain and cross-compile a guest to a MIPS ELF.
//! - [`scaffold`]: write a new guest project from `templates/`.
//! - [`elf`]: validate a guest ELF and compute its image id.
//! - [`vm`]: the MIPS32 virtual machine that runs the guest (loader, interpreter, threads).
//! - [`syscalls`]: the Linux o32 system-call layer the guest talks to.
//! - [`ocp`]: the Optimistic Challenge Process: a circuit's claim secured by pre-signed Bitcoin transactions.

pub mod asm;
pub mod elf;
pub mod exit;
pub mod gobuild;
pub mod ocp;
pub mod proof;
pub mod prover;
pub mod scaffold;
pub mod syscalls;
pub mod vm;
