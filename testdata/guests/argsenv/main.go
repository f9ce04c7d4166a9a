// argsenv prints its command-line arguments and environment and commits the arguments.
package main

import (
	"fmt"
	"os"
	"strings"

	"zkmtest/zkvm"
)

func main() {
	fmt.Println("args:", len(os.Args)-1, strings.Join(os.Args[1:], ","))
	fmt.Println("env:", len(os.Environ()), os.Getenv("ZKM_TEST"))
	fmt.Println("pid positive:", os.Getpid() > 0)
	zkvm.Commit([]byte(strings.Join(os.Args[1:], " ")))
}
