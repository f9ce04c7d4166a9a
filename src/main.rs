//! The `zkm` command: parse the arguments, call the library, map errors to exit codes.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
