//! Process exit codes of the `zkm` command, one per kind of failure.
//!
//! `zkm run` passes the guest's own exit code through (0–255, with 128+N for a guest killed
//! by signal N, as a shell reports it), so zkm's own failures use codes a Go program rarely
//! picks: the BSD `sysexits.h` range (64–78) and 100–110 for faults inside the guest.
//! The README documents this table; keep the two in sync.

/// Something failed that has no more specific code (an I/O error, say).
pub const FAILURE: i32 = 1;
/// The command line is wrong: unknown flag, missing argument.
pub const USAGE: i32 = 64;
/// The file is not a valid guest ELF (not an ELF, wrong machine, dynamic, truncated).
pub const BAD_ELF: i32 = 65;
/// An input file does not exist or cannot be read.
pub const NO_INPUT: i32 = 66;
/// Data is malformed: JSON, hex, keys, proof or graph files.
pub const BAD_DATA: i32 = 67;
/// Go is missing, too old, or cannot target linux/mips.
pub const NO_GO: i32 = 69;
/// `go build` failed: the compiler's messages are printed as they are.
pub const BUILD_FAILED: i32 = 70;
/// An output cannot be created (for example `zkm new` into a non-empty directory).
pub const CANT_CREATE: i32 = 73;
/// The guest executed an unknown or reserved instruction.
pub const ILLEGAL_INSTRUCTION: i32 = 100;
/// The guest made a system call that zkm does not implement.
pub const UNKNOWN_SYSCALL: i32 = 101;
/// The guest touched unmapped memory, made a misaligned access, or fired a trap, `BREAK`
/// or overflow, with no handler for the signal.
pub const MEMORY_FAULT: i32 = 102;
/// The guest ran past `--max-cycles`.
pub const CYCLE_LIMIT: i32 = 103;
/// Every guest thread is blocked and no timer is pending.
pub const DEADLOCK: i32 = 104;
/// The challenge game did not end as the protocol intends.
pub const GAME_FAILED: i32 = 105;
/// `zkm verify`: the proof is for another program (ELF or image id).
pub const WRONG_PROGRAM: i32 = 106;
/// `zkm verify`: the proof does not verify.
pub const PROOF_INVALID: i32 = 107;
/// `zkm verify`: the proof is valid, but its public output is not `--expect-output`.
pub const UNEXPECTED_OUTPUT: i32 = 108;
/// `zkm verify`: the proof is valid, but its exit status is not `--expect-exit`.
pub const UNEXPECTED_EXIT: i32 = 109;
/// `zkm prove`: the program does something that cannot be proved yet.
pub const NOT_PROVABLE: i32 = 110;
/// `zkm verify`: the proof is valid, but its arguments or environment are not the
/// expected ones (`--expect-args`).
pub const UNEXPECTED_ARGS: i32 = 111;

/// A library error that knows which exit code it maps to.
pub trait ExitCode {
    fn exit_code(&self) -> i32;
}
