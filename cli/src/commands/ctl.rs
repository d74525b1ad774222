//! `kalshi-bot ctl --journal RUN_DIR status|halt|resume|kill|set KEY=VALUE`: steer a running bot through
//! its control channel (see `runtime::control`). The token is read from the run directory;
//! the answer is printed as one JSON line. Exits 0 when the command was accepted and had its
//! effect, 1 otherwise (refused, wrong token, no bot listening).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit_code::{EXIT_FAILURE, EXIT_OK, Refusal};
use crate::runtime::control::{CtlCommand, parse_setting, send};

/// `ctl` arguments.
#[derive(Debug, Args)]
pub struct CtlArgs {
    /// The running bot's run directory (its `--journal`).
    #[arg(long, value_name = "RUN")]
    pub journal: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: CtlAction,
}

/// The operator's commands.
#[derive(Debug, Clone, Subcommand)]
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
    /// Feed one model value, as a line of the model file: `TS,TICKER,PROBABILITY` (TS in Unix
    /// seconds or RFC 3339) or a JSON line (journaled as a ModelProbability input when the
    /// bot accepts it; refused like a bad file line otherwise).
    Model {
        /// The line, e.g. "1796000000,KXTICKER-1,0.62".
        line: String,
    },
    /// Reduce every position to zero (journaled): cancel the bot's orders, go REDUCING (only
    /// orders that shrink a position), and send a reduce-only immediate-or-cancel order at the
    /// opposite touch per position; the ladder then quotes only the reducing side until
    /// `resume`.
    Flatten,
    /// Change one live-safe setting, KEY=VALUE (journaled): engine.ev_gate.min_edge_micros,
    /// engine.scanner.spread_ticks_max, engine.strategy.base_size or size_cap (either way),
    /// or a risk limit that only tightens (engine.risk.order_contracts_max,
    /// market_position_max, event_position_max, account_exposure_max,
    /// open_orders_per_market_max, daily_loss_stop, daily_loss_reducing).
    Set {
        /// KEY=VALUE, e.g. engine.risk.order_contracts_max=5.
        assignment: String,
    },
}

/// Runs `ctl`; returns the exit code.
pub fn run(args: CtlArgs) -> anyhow::Result<i32> {
    let (command, confirm, setting) = match args.action {
        CtlAction::Status => (CtlCommand::Status, false, None),
        CtlAction::Halt => (CtlCommand::Halt, false, None),
        CtlAction::Resume { confirm_daily_loss } => (CtlCommand::Resume, confirm_daily_loss, None),
        CtlAction::Kill => (CtlCommand::Kill, false, None),
        CtlAction::Flatten => (CtlCommand::Flatten, false, None),
        CtlAction::Model { line } => (CtlCommand::Model, false, Some(line)),
        CtlAction::Set { assignment } => {
            parse_setting(&assignment).map_err(Refusal::new)?;
            (CtlCommand::Set, false, Some(assignment))
        }
    };
    let answer = send(&args.journal, command, confirm, setting)?;
    println!("{}", serde_json::to_string(&answer)?);
    if let Some(error) = &answer.error {
        crate::logging::note(&format!("ctl: {error}"));
    }
    Ok(if answer.ok { EXIT_OK } else { EXIT_FAILURE })
}
