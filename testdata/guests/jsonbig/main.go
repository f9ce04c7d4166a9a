// jsonbig computes big numbers with math/big and round-trips them through encoding/json.
package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
)

type Report struct {
	Factorial100 string            `json:"factorial_100"`
	Fib300       string            `json:"fib_300"`
	Pow2_200     *big.Int          `json:"pow2_200"`
	Digits       map[string]int    `json:"digits"`
	Tags         []string          `json:"tags"`
	Nested       map[string]Report `json:"nested,omitempty"`
}

func main() {
	f := big.NewInt(1)
	for i := int64(2); i <= 100; i++ {
		f.Mul(f, big.NewInt(i))
	}
	a, b := big.NewInt(0), big.NewInt(1)
	for i := 0; i < 300; i++ {
		a.Add(a, b)
		a, b = b, a
	}
	p := new(big.Int).Lsh(big.NewInt(1), 200)
	r := Report{
		Factorial100: f.String(),
		Fib300:       a.String(),
		Pow2_200:     p,
		Digits:       map[string]int{"factorial_100": len(f.String()), "fib_300": len(a.String())},
		Tags:         []string{"math/big", "encoding/json", "ünïcode ✓"},
	}
	r.Nested = map[string]Report{"copy": {Factorial100: "1", Tags: []string{}}}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))

	var back Report
	if err := json.Unmarshal(out, &back); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	q := new(big.Int)
	q.SetString(back.Factorial100, 10)
	q.Div(q, new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil))
	fmt.Printf("round trip ok: %v, 100!/10^24 = %s, gcd = %s\n",
		back.Pow2_200.Cmp(p) == 0, q, new(big.Int).GCD(nil, nil, f, p))
}
