// recovered recovers from runtime errors (nil dereference, index out of range, integer
// division by zero, nil map write, type assertion) and carries on; exits 0.
package main

import (
	"errors"
	"fmt"
	"os"
)

func try(name string, f func()) {
	defer func() {
		r := recover()
		var re interface{ RuntimeError() }
		if err, ok := r.(error); ok && errors.As(err, &re) {
			fmt.Printf("%s: runtime error recovered: %v\n", name, err)
		} else {
			fmt.Printf("%s: recovered %v\n", name, r)
		}
	}()
	f()
}

var zero = 0
var sink int

func main() {
	var p *[4]int
	try("nil", func() { sink = p[1] })
	s := []int{1, 2, 3}
	i := len(os.Args) + 5
	try("index", func() { sink = s[i] })
	try("divide", func() { sink = 10 / zero })
	var m map[string]int
	try("nilmap", func() { m["a"] = 1 })
	var x any = "str"
	try("assert", func() { sink = x.(int) })
	try("custom", func() { panic(fmt.Errorf("wrapped: %w", os.ErrNotExist)) })
	fmt.Println("still running")
}
