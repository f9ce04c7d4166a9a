// Package zkvm is the guest side of the zkm I/O contract. It is plain Go: the same
// program runs under `zkm run`, `qemu-mips` or natively.
//
//   - stdin is the private input. Read returns all of it.
//   - file descriptor 3 is the public output, committed in the proof. The Commit
//     functions append to it.
//   - stdout and stderr are logs; they are not committed.
//
// The typed helpers use one stable byte encoding, shared by Input and the Commit
// functions, so that a verifier can decode the public output:
//
//   - uint32, uint64: fixed width, big-endian (4 and 8 bytes).
//   - bool: one byte, 0 or 1.
//   - byte strings and strings: a uint32 big-endian length, then the bytes.
//
// Outside zkm, give the program fd 3 yourself, for example
// `qemu-mips ./guest.elf < input.bin 3> public.bin`.
package zkvm

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
)

var (
	inputOnce sync.Once
	input     []byte
	public    = os.NewFile(3, "public-output")
)

// Read returns the whole private input (stdin). It reads stdin once; later calls
// return the same bytes.
func Read() []byte {
	inputOnce.Do(func() {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			panic(fmt.Sprintf("zkvm: reading private input from stdin: %v", err))
		}
		input = b
	})
	return input
}

// Commit appends raw bytes to the public output (fd 3).
func Commit(b []byte) {
	if _, err := public.Write(b); err != nil {
		panic(fmt.Sprintf("zkvm: writing public output to fd 3: %v (outside zkm, redirect it: 3>public.bin)", err))
	}
}

// CommitUint32 appends v as 4 big-endian bytes.
func CommitUint32(v uint32) { Commit(binary.BigEndian.AppendUint32(nil, v)) }

// CommitUint64 appends v as 8 big-endian bytes.
func CommitUint64(v uint64) { Commit(binary.BigEndian.AppendUint64(nil, v)) }

// CommitBool appends v as one byte, 0 or 1.
func CommitBool(v bool) {
	if v {
		Commit([]byte{1})
	} else {
		Commit([]byte{0})
	}
}

// CommitBytes appends b with a uint32 big-endian length prefix.
func CommitBytes(b []byte) {
	CommitUint32(uint32(len(b)))
	Commit(b)
}

// CommitString appends s with a uint32 big-endian length prefix.
func CommitString(s string) { CommitBytes([]byte(s)) }

// Input decodes the private input with the same encoding as the Commit functions.
// Its methods panic with a clear message when the input is too short.
type Input struct {
	buf []byte
	off int
}

// NewInput returns a decoder over the whole private input.
func NewInput() *Input { return &Input{buf: Read()} }

func (in *Input) take(n int, what string) []byte {
	if n < 0 || len(in.buf)-in.off < n {
		panic(fmt.Sprintf("zkvm: private input too short: need %d bytes for %s at offset %d, have %d", n, what, in.off, len(in.buf)-in.off))
	}
	b := in.buf[in.off : in.off+n]
	in.off += n
	return b
}

// Uint32 reads 4 big-endian bytes.
func (in *Input) Uint32() uint32 { return binary.BigEndian.Uint32(in.take(4, "uint32")) }

// Uint64 reads 8 big-endian bytes.
func (in *Input) Uint64() uint64 { return binary.BigEndian.Uint64(in.take(8, "uint64")) }

// Bool reads one byte; any non-zero value is true.
func (in *Input) Bool() bool { return in.take(1, "bool")[0] != 0 }

// Bytes reads a uint32 length, then that many bytes.
func (in *Input) Bytes() []byte { return in.take(int(in.Uint32()), "byte string") }

// String reads a uint32 length, then that many bytes.
func (in *Input) String() string { return string(in.Bytes()) }

// Rest returns the unread part of the input.
func (in *Input) Rest() []byte { return in.take(len(in.buf)-in.off, "rest") }
