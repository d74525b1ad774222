//! The one loop around `Engine::process`, shared by the live run, the backtest and
//! `replay --verify`.
//!
//! A step, for one input:
//! 1. stamp it: the seq the sink gives next ([`StepSink::next_seq`]) and its time (with
//!    [`Stepper::forward_only`], never earlier than the previous step's, so the engine's clock
//!    only moves forward);
//! 2. hand the input record to the sink;
//! 3. run `Engine::process`;
//! 4. hand the sink each output record in journal order: every decision, then every command,
//!    each with its position in its list and the input's time;
//! 5. tell the sink the step is over ([`StepSink::end_step`], with the whole output), then
//!    return the input and the output, whose commands the caller hands on.
//!
//! What happens to the records is the sink's: a live run journals them (durably before any
//! command leaves), a backtest journals or keeps them and submits the commands to its fill
//! simulator, verify compares the outputs with a journal's. Only the stepper runs the engine,
//! so the three cannot step differently.

use kalshi_core::engine::{Engine, Output};
use kalshi_core::events::{Envelope, Event};

use crate::record::{OutputRef, RecordRef};

/// Where a step's records go. See the module documentation for the order of the calls.
pub trait StepSink {
    /// What handing a record over can fail with.
    type Error;

    /// The seq the next input is stamped with (asked only by [`Stepper::step`]; an input
    /// stepped with [`Stepper::step_stamped`] keeps its own).
    fn next_seq(&mut self) -> u64;

    /// Takes the step's next record: the input ([`RecordRef::Input`]), then each output
    /// ([`RecordRef::OutputDecision`], [`RecordRef::OutputCommand`]). `ts_ns` is the input's
    /// time, the time every record of the step is journaled at.
    fn record(&mut self, ts_ns: i64, record: RecordRef<'_>) -> Result<(), Self::Error>;

    /// Called once every record of the step was handed over, with the step's input and
    /// whole output. Does nothing unless the sink needs it.
    fn end_step(&mut self, input: &Envelope, output: &Output) -> Result<(), Self::Error> {
        let _ = (input, output);
        Ok(())
    }
}

/// A sink that keeps nothing: for steps no journal holds (priming an engine with a
/// configuration before a replay). Its seqs are all 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unjournaled;

impl StepSink for Unjournaled {
    type Error = std::convert::Infallible;

    fn next_seq(&mut self) -> u64 {
        0
    }

    fn record(&mut self, _ts_ns: i64, _record: RecordRef<'_>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// One finished step: the input as stamped and what the engine produced for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The input, with its seq and time.
    pub input: Envelope,
    /// The engine's commands (to hand on, in order) and decisions.
    pub output: Output,
}

/// The engine and the rule that steps it. See the module documentation.
pub struct Stepper {
    engine: Engine,
    forward_only: bool,
    last_ts_ns: i64,
}

impl Stepper {
    /// A stepper over `engine` that stamps inputs with the time they are given.
    pub fn new(engine: Engine) -> Stepper {
        Stepper {
            engine,
            forward_only: false,
            last_ts_ns: i64::MIN,
        }
    }

    /// A stepper over `engine` that never stamps an input earlier than the previous one (a
    /// live run: receive times of different sources may cross).
    pub fn forward_only(engine: Engine) -> Stepper {
        Stepper {
            forward_only: true,
            ..Stepper::new(engine)
        }
    }

    /// The time an input received at `ts_ns` would be stamped with now.
    pub fn stamp_time(&self, ts_ns: i64) -> i64 {
        if self.forward_only {
            ts_ns.max(self.last_ts_ns)
        } else {
            ts_ns
        }
    }

    /// The latest time stamped so far (`i64::MIN` before the first step).
    pub fn last_ts_ns(&self) -> i64 {
        self.last_ts_ns
    }

    /// The engine (read-only: its state for summaries and checks).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Gives the engine back.
    pub fn into_engine(self) -> Engine {
        self.engine
    }

    /// Stamps `event` (the sink's next seq, [`Self::stamp_time`] of `ts_ns`) and steps it.
    pub fn step<S: StepSink + ?Sized>(
        &mut self,
        sink: &mut S,
        ts_ns: i64,
        event: Event,
    ) -> Result<Step, S::Error> {
        let input = Envelope {
            seq: sink.next_seq(),
            ts_ns: self.stamp_time(ts_ns),
            event,
        };
        self.step_stamped(sink, input)
    }

    /// Steps an input that already carries its seq and time (a journaled one).
    pub fn step_stamped<S: StepSink + ?Sized>(
        &mut self,
        sink: &mut S,
        input: Envelope,
    ) -> Result<Step, S::Error> {
        let ts_ns = input.ts_ns;
        self.last_ts_ns = self.last_ts_ns.max(ts_ns);
        sink.record(ts_ns, RecordRef::Input(&input))?;
        let output = self.engine.process(&input);
        for (index, decision) in output.decisions.iter().enumerate() {
            let record =
                RecordRef::output(input.seq, step_index(index), OutputRef::Decision(decision));
            sink.record(ts_ns, record)?;
        }
        for (index, command) in output.commands.iter().enumerate() {
            let record =
                RecordRef::output(input.seq, step_index(index), OutputRef::Command(command));
            sink.record(ts_ns, record)?;
        }
        sink.end_step(&input, &output)?;
        Ok(Step { input, output })
    }
}

impl std::fmt::Debug for Stepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepper")
            .field("forward_only", &self.forward_only)
            .field("last_ts_ns", &self.last_ts_ns)
            .finish_non_exhaustive()
    }
}

/// Position inside a step's list; a step never holds four billion outputs, and saturating
/// keeps the conversion total.
pub fn step_index(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use kalshi_core::events::{ControlCommand, TimerKind};

    use super::*;
    use crate::record::JournalRecord;

    /// Keeps every record with its time, numbering inputs from 10.
    #[derive(Default)]
    struct Kept {
        next: u64,
        records: Vec<(i64, JournalRecord)>,
        ended: Vec<u64>,
    }

    impl StepSink for Kept {
        type Error = ();

        fn next_seq(&mut self) -> u64 {
            self.next += 1;
            9 + self.next
        }

        fn record(&mut self, ts_ns: i64, record: RecordRef<'_>) -> Result<(), ()> {
            self.records.push((ts_ns, record.to_record()));
            Ok(())
        }

        fn end_step(&mut self, input: &Envelope, _output: &Output) -> Result<(), ()> {
            self.ended.push(input.seq);
            Ok(())
        }
    }

    fn tick() -> Event {
        Event::Timer {
            kind: TimerKind::Tick,
        }
    }

    #[test]
    fn a_forward_only_stepper_never_stamps_an_earlier_time() {
        let mut stepper = Stepper::forward_only(Engine::new());
        let mut sink = Kept::default();
        let first = stepper.step(&mut sink, 100, tick()).unwrap();
        let second = stepper.step(&mut sink, 50, tick()).unwrap();
        assert_eq!((first.input.seq, first.input.ts_ns), (10, 100));
        assert_eq!((second.input.seq, second.input.ts_ns), (11, 100));
        assert_eq!(sink.ended, vec![10, 11]);
        assert_eq!(stepper.last_ts_ns(), 100);

        let mut as_given = Stepper::new(Engine::new());
        as_given.step(&mut sink, 100, tick()).unwrap();
        assert_eq!(
            as_given.step(&mut sink, 50, tick()).unwrap().input.ts_ns,
            50
        );
    }

    #[test]
    fn the_input_comes_first_then_decisions_then_commands() {
        let mut stepper = Stepper::new(Engine::new());
        let mut sink = Kept::default();
        let kill = Event::Control(ControlCommand::KillSwitch);
        let step = stepper.step(&mut sink, 7, kill).unwrap();
        let (first_ts, first) = &sink.records[0];
        assert_eq!(
            (*first_ts, first),
            (7, &JournalRecord::Input(step.input.clone()))
        );
        let outputs: Vec<JournalRecord> = sink.records[1..]
            .iter()
            .map(|(ts_ns, record)| {
                assert_eq!(*ts_ns, 7);
                record.clone()
            })
            .collect();
        let mut expected = Vec::new();
        for (index, decision) in step.output.decisions.iter().enumerate() {
            expected.push(JournalRecord::OutputDecision {
                input_seq: step.input.seq,
                index: step_index(index),
                decision: decision.clone(),
            });
        }
        for (index, command) in step.output.commands.iter().enumerate() {
            expected.push(JournalRecord::OutputCommand {
                input_seq: step.input.seq,
                index: step_index(index),
                command: command.clone(),
            });
        }
        assert_eq!(outputs, expected);
        assert!(
            !step.output.decisions.is_empty() && !step.output.commands.is_empty(),
            "the kill switch records its risk state and cancels everything"
        );
    }
}
