// panic fails with a Go panic after printing a line: the process exits with code 2 and
// the runtime's usual message and goroutine trace on stderr.
package main

import "fmt"

type account struct{ balance int }

func withdraw(a *account, amount int) {
	if amount > a.balance {
		panic(fmt.Sprintf("insufficient funds: balance %d, withdrawing %d", a.balance, amount))
	}
	a.balance -= amount
}

func main() {
	a := &account{balance: 100}
	withdraw(a, 30)
	fmt.Println("balance after first withdrawal:", a.balance)
	withdraw(a, 500)
	fmt.Println("unreachable")
}
