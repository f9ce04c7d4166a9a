use clap::CommandFactory;
use clap_complete::Shell;

/// Print a shell completion script on stdout.
///
/// The same scripts are checked in under completions/.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  zkm completions bash > ~/.local/share/bash-completion/completions/zkm\n  zkm completions zsh > ~/.zfunc/_zkm\n  zkm completions fish > ~/.config/fish/completions/zkm.fish"
)]
pub struct Args {
    /// The shell to write completions for.
    pub shell: Shell,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "zkm", &mut std::io::stdout());
    super::OK
}
