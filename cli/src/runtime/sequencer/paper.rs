//! Paper runs: the sequencer hands commands to an in-process fill simulator instead of the
//! exec sink, and steps the simulator's due answers before each input (the rule of
//! [`kalshi_replay::sim_loop`], which the backtest driver follows too).

use anyhow::Context as _;
use kalshi_core::engine::Output;
use kalshi_core::events::Event;
use kalshi_replay::fill_sim::FillSimulator;
use kalshi_replay::sim_loop::{self, SimHost};

use super::Sequencer;

impl Sequencer {
    /// Makes this a paper run: from now on every command goes to `sim` (sent at its step's
    /// time), never to the sink, and the simulator's answers are stepped as inputs in the
    /// order the backtest driver would step them ([`kalshi_replay::sim_loop`]).
    pub fn trade_on_paper(&mut self, sim: FillSimulator) {
        self.paper = Some(sim);
        self.paper_mode = true;
    }

    /// Whether this is a paper run.
    pub fn is_paper(&self) -> bool {
        self.paper_mode
    }

    /// The paper run's simulated exchange (`None` for runs that are not paper runs).
    pub fn paper_exchange(&self) -> Option<&FillSimulator> {
        self.paper.as_ref()
    }

    /// Paper runs: runs every simulated action still pending, at its due time (what a
    /// backtest does after its last input), so cancels sent at shutdown take effect. Does
    /// nothing for other runs.
    pub fn run_paper_actions(&mut self) -> anyhow::Result<()> {
        let Some(sim) = self.paper.take() else {
            return Ok(());
        };
        let mut host = PaperHost {
            sequencer: self,
            sim,
            durable: true,
            main: None,
        };
        let result = sim_loop::run_due(&mut host, i64::MAX);
        let PaperHost { sim, .. } = host;
        self.paper = Some(sim);
        result
    }

    /// One paper step: the simulator's due answers (and closes) at their due times, then the
    /// input stamped at `recv_ts_ns`, then the fills it caused.
    pub(super) fn process_on_paper(
        &mut self,
        sim: FillSimulator,
        recv_ts_ns: i64,
        event: Event,
        raw: Option<String>,
        durable_commands: bool,
    ) -> anyhow::Result<(u64, Output)> {
        let ts_ns = self.stepper.stamp_time(recv_ts_ns);
        let mut host = PaperHost {
            sequencer: self,
            sim,
            durable: durable_commands,
            main: None,
        };
        let result = sim_loop::run_due_with_closes(&mut host, ts_ns).and_then(|()| {
            host.main = Some(MainInput { raw, stepped: None });
            sim_loop::feed_input(&mut host, ts_ns, event)
        });
        let PaperHost { sim, main, .. } = host;
        self.paper = Some(sim);
        result?;
        main.and_then(|main| main.stepped)
            .context("the paper step lost its input")
    }
}

/// The input a paper step was asked to process: its raw frame until it is stepped, then its
/// seq and outputs.
struct MainInput {
    raw: Option<String>,
    stepped: Option<(u64, Output)>,
}

/// A paper step in progress: the sequencer with its simulated exchange taken out, so the
/// shared interleaving rule can drive both.
struct PaperHost<'a> {
    sequencer: &'a mut Sequencer,
    sim: FillSimulator,
    durable: bool,
    /// Set once the simulator's due answers ran: the next event stepped is the input itself.
    main: Option<MainInput>,
}

impl SimHost for PaperHost<'_> {
    type Error = anyhow::Error;

    fn sim(&mut self) -> &mut FillSimulator {
        &mut self.sim
    }

    fn step(&mut self, ts_ns: i64, event: Event) -> anyhow::Result<()> {
        let main = self.main.as_mut().filter(|main| main.stepped.is_none());
        let is_main = main.is_some();
        let raw = main.and_then(|main| main.raw.take());
        let (seq, output) = self
            .sequencer
            .process_one(ts_ns, event, raw, self.durable)?;
        for command in &output.commands {
            self.sim.submit(ts_ns, command);
        }
        if is_main {
            if let Some(main) = self.main.as_mut() {
                main.stepped = Some((seq, output));
            }
        } else {
            // The simulator's answers are inputs of their own: their commands are counted
            // here, as the input's are when the caller hands them over.
            self.sequencer.dispatch(output.commands);
        }
        Ok(())
    }
}
