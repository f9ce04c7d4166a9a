// exitcode writes a log line and some public output, then exits with status 3.
package main

import (
	"fmt"
	"os"

	"zkmtest/zkvm"
)

func main() {
	fmt.Println("validation failed: exiting with status 3")
	fmt.Fprintln(os.Stderr, "error: input rejected")
	zkvm.CommitString("rejected")
	os.Exit(3)
}
