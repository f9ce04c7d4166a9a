// decorated turns on Go 1.25's decoratemappings, as every module whose go.mod says
// go 1.25 or later has it by default: the runtime names each mapping it makes with
// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, ...). Linux 5.0, like qemu-user, answers
// EINVAL, after which the runtime stops. It allocates a little and writes a line to the
// public output.
//
//go:debug decoratemappings=1
package main

import (
	"fmt"
	"os"
)

func main() {
	// A large object: a mapping of its own, which the runtime would name.
	buf := make([]byte, 1<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = byte(i >> 12)
	}
	sum := 0
	for i := 0; i < len(buf); i += 4096 {
		sum += int(buf[i])
	}
	pub := os.NewFile(3, "public")
	fmt.Fprintln(pub, "named mappings, sum", sum)
	fmt.Println("decorated")
}
