// lookups asks the file system about paths that are not there, as programs probe for
// optional configuration: os.Stat, os.Lstat, os.Readlink and syscall.Access each fail
// with ENOENT. It prints each error to the public output.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func main() {
	pub := os.NewFile(3, "public")
	const p = "/nonexistent/zkm.conf"
	_, err := os.Stat(p)
	fmt.Fprintln(pub, "stat:", err, errors.Is(err, fs.ErrNotExist))
	_, err = os.Lstat(p)
	fmt.Fprintln(pub, "lstat:", err)
	_, err = os.Readlink(p)
	fmt.Fprintln(pub, "readlink:", err)
	err = syscall.Access(p, 4)
	fmt.Fprintln(pub, "access:", err)
	fmt.Println("probed", p)
}
