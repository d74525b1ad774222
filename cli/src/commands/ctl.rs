//! `kalshi-bot ctl --journal RUN_DIR status|halt|resume|kill`: steer a running bot through
//! its control channel (see `runtime::control`). The token is read from the run directory;
//! the answer is printed as one JSON line. Exits 0 when the command was accepted and had its
//! effect, 1 otherwise (refused, wrong token, no bot listening).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit_code::{EXIT_FAILURE, EXIT_OK};
use crate::runtime::control::{CtlCommand, send};

/// `ctl` arguments.
#[derive(Debug, Args)]
pub struct CtlArgs {
    /// The running bot's run directory (its `--journal-dir`).
    #[arg(long, value_name = "RUN_DIR")]
    pub journal: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: CtlAction,
}

/// The operator's commands.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CtlAction {
    /// Print the status line's figures as JSON.
    Status,
    /// Cancel the bot's orders and halt quoting (journaled).
    Halt,
    /// Quote again after a halt (journaled).
    Resume {
        /// Lift a HALT that the daily loss stop (or a previous run) caused.
        #[arg(long)]
        confirm_daily_loss: bool,
    },
    /// Cancel every order of the account and halt (journaled).
    Kill,
}

/// Runs `ctl`; returns the exit code.
pub fn run(args: CtlArgs) -> anyhow::Result<i32> {
    let (command, confirm) = match args.action {
        CtlAction::Status => (CtlCommand::Status, false),
        CtlAction::Halt => (CtlCommand::Halt, false),
        CtlAction::Resume { confirm_daily_loss } => (CtlCommand::Resume, confirm_daily_loss),
        CtlAction::Kill => (CtlCommand::Kill, false),
    };
    let answer = send(&args.journal, command, confirm)?;
    println!("{}", serde_json::to_string(&answer)?);
    if let Some(error) = &answer.error {
        eprintln!("ctl: {error}");
    }
    Ok(if answer.ok { EXIT_OK } else { EXIT_FAILURE })
}
