// sha256chain reads a round count and a seed from its private input, hashes the seed
// through that many rounds of SHA-256 and commits the round count and final digest.
//
// Input: uint32 rounds (big-endian), then the seed bytes.
// Public output: uint32 rounds, then the 32-byte digest with a uint32 length prefix.
package main

import (
	"crypto/sha256"
	"fmt"

	"zkmtest/zkvm"
)

func main() {
	in := zkvm.NewInput()
	rounds := in.Uint32()
	seed := in.Rest()

	digest := sha256.Sum256(seed)
	for i := uint32(1); i < rounds; i++ {
		digest = sha256.Sum256(digest[:])
	}
	fmt.Printf("sha256 chain: %d rounds over a %d-byte private seed\n", rounds, len(seed))
	fmt.Printf("digest %x\n", digest)

	zkvm.CommitUint32(rounds)
	zkvm.CommitBytes(digest[:])
}
