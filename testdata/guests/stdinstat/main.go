// stdinstat sizes its buffer from Stat on stdin, as os.ReadFile does, reads the private
// input to its end and commits the input's size and SHA-256 to the public output.
//
// Public output: uint32 size, then the 32-byte digest with a uint32 length prefix.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"zkmtest/zkvm"
)

func main() {
	st, err := os.Stdin.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stat:", err)
		os.Exit(1)
	}
	// One byte more than the size, so that the read that finds the end is part of it.
	buf := make([]byte, st.Size()+1)
	n, err := io.ReadFull(os.Stdin, buf)
	if err != io.ErrUnexpectedEOF {
		fmt.Fprintln(os.Stderr, "the input is not the size Stat gave:", n, err)
		os.Exit(1)
	}
	data := buf[:n]
	digest := sha256.Sum256(data)
	fmt.Printf("stdin: regular %v, %d bytes (Stat said %d)\n", st.Mode().IsRegular(), n, st.Size())
	fmt.Printf("digest %x\n", digest)
	zkvm.CommitUint32(uint32(n))
	zkvm.CommitBytes(digest[:])
}
