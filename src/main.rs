//! The `zkm` command: parse the arguments, call the library, map errors to exit codes.

mod cli;

fn main() {
    // Like any Unix filter, stop quietly when the reader of stdout goes away
    // (`zkm challenge inspect DIR | head`), instead of panicking on EPIPE. Rust sets
    // SIGPIPE to ignored before `main`; this restores the default action.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread starts; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(cli::main());
}
