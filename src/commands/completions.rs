//! `demo completions SHELL`: the shell completion script for every command and flag, on stdout.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::CliError;
use crate::output::OutputError;

pub(crate) fn run(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "demo", &mut script);
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, &script)
        .and_then(|()| std::io::Write::flush(&mut stdout))
        .map_err(|err| OutputError::from(err).into())
}
