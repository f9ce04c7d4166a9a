// nilpanic dereferences a nil pointer: the hardware fault becomes a SIGSEGV, which the
// Go runtime turns into a panic with exit code 2.
package main

import "fmt"

type point struct{ x, y int }

//go:noinline
func norm(p *point) int { return p.x*p.x + p.y*p.y }

func main() {
	fmt.Println("norm", norm(&point{3, 4}))
	var p *point
	fmt.Println("norm", norm(p))
}
