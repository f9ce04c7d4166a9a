module zkmtest

go 1.21
