//! What comes in from beside the run: model values (the followed file and `ctl model`) and
//! operator requests over the control socket (`status`, `halt`, `resume`, `kill`, `flatten`,
//! `set`), each checked and journaled as an input before it takes effect.

use super::*;

impl EventLoop {
    /// Model values older than `age_max_ns` are refused as stale.
    pub fn set_model_age_max_ns(&mut self, age_max_ns: i64) {
        self.model_age_max_ns = age_max_ns;
    }

    /// Model lines accepted and refused so far.
    pub fn model_counters(&self) -> &ModelCounters {
        &self.model_counters
    }

    /// Checks model lines read at `recv_ts_ns` against the engine and journals each accepted
    /// value as `Event::ModelProbability`; a refused line is counted and logged.
    pub(super) fn step_model(
        &mut self,
        recv_ts_ns: i64,
        lines: Vec<ReadLine>,
    ) -> anyhow::Result<()> {
        self.guard_lag(recv_ts_ns)?;
        for ReadLine { line_no, parsed } in lines {
            let checked = parsed.and_then(|line| {
                let universe = self.sequencer.engine().universe();
                check_line(
                    &line,
                    |ticker| universe.index_of(ticker).is_some(),
                    self.model_age_max_ns,
                    recv_ts_ns,
                )
                .map(|()| line)
            });
            match checked {
                Ok(line) => {
                    self.model_counters.accepted += 1;
                    self.sequencer.step_batched(
                        recv_ts_ns,
                        Event::ModelProbability {
                            ticker: line.ticker,
                            probability_ppm: line.probability_ppm,
                        },
                        None,
                    )?;
                }
                Err((reason, detail)) => {
                    *self.model_counters.refused.entry(reason).or_default() += 1;
                    tracing::warn!(
                        line_no,
                        reason = reason.as_str(),
                        detail,
                        "model line refused"
                    );
                }
            }
        }
        Ok(())
    }

    /// Answers an operator request: `status` from the figures; `halt`, `resume` and `kill`
    /// journaled as [`Event::Operator`] inputs (only while running).
    pub(super) fn on_control(
        &mut self,
        request: ControlRequest,
        running: bool,
    ) -> anyhow::Result<()> {
        if request.command == CtlCommand::Set {
            let answer = self.on_set(&request, running)?;
            let _ = request.answer.send(answer);
            return Ok(());
        }
        if request.command == CtlCommand::Model {
            let answer = self.on_model(&request, running)?;
            let _ = request.answer.send(answer);
            return Ok(());
        }
        let command = match request.command {
            CtlCommand::Status | CtlCommand::Set | CtlCommand::Model => None,
            CtlCommand::Halt => Some(ControlCommand::Halt),
            CtlCommand::Resume => Some(ControlCommand::Resume),
            CtlCommand::Kill => Some(ControlCommand::KillSwitch),
            CtlCommand::Flatten => Some(ControlCommand::Flatten),
        };
        let mut answer = CtlAnswer {
            ok: true,
            error: None,
            seq: None,
            status: None,
        };
        if let Some(command) = command {
            if !running {
                let _ = request
                    .answer
                    .send(CtlAnswer::refused("the run is shutting down"));
                return Ok(());
            }
            let needed_confirmation = command == ControlCommand::Resume
                && !request.confirm_daily_loss
                && self.sequencer.engine().resume_needs_confirmation();
            let control = OperatorControl {
                peer_uid: request.peer_uid,
                command,
                confirm_daily_loss: request.confirm_daily_loss,
            };
            let seq = self
                .sequencer
                .step_batched(now_ns(), Event::Operator(control), None)?;
            self.sequencer.end_batch_durably()?;
            tracing::warn!(
                command = ?command,
                peer_uid = request.peer_uid,
                confirm_daily_loss = request.confirm_daily_loss,
                seq,
                "operator control journaled"
            );
            answer.seq = Some(seq);
            let name = match command {
                ControlCommand::Halt => "halt",
                ControlCommand::Resume => "resume",
                ControlCommand::Flatten => "flatten",
                _ => "kill",
            };
            *self.operator_controls.entry(name).or_default() += 1;
            let risk = self.sequencer.engine().risk_state();
            if command == ControlCommand::Resume && risk != kalshi_core::risk::RiskState::Active {
                answer.ok = false;
                answer.error = Some(if needed_confirmation {
                    "resume refused: the HALT came from the daily loss stop (or a previous \
                     run); repeat with --confirm-daily-loss to lift it"
                        .to_string()
                } else {
                    format!(
                        "resume refused: the daily loss is still beyond the stop; risk stays {}",
                        risk.as_str()
                    )
                });
            }
        }
        let (tokens, budget) = self.write_tokens();
        answer.status = Some(status_json(&figures(&self.sequencer), tokens, budget));
        let _ = request.answer.send(answer);
        Ok(())
    }

    /// `ctl model LINE`: one model value through the local control socket, checked like a
    /// line of the model file (`--model-file`) and journaled as `Event::ModelProbability`
    /// when accepted; the answer says which, and a refusal is counted like the file's.
    fn on_model(&mut self, request: &ControlRequest, running: bool) -> anyhow::Result<CtlAnswer> {
        if !running {
            return Ok(CtlAnswer::refused("the run is shutting down"));
        }
        let parsed = match parse_line(request.setting.as_deref().unwrap_or("")) {
            Ok(Some(line)) => Ok(line),
            Ok(None) => return Ok(CtlAnswer::refused("an empty model line")),
            Err(refusal) => Err(refusal),
        };
        let detail = parsed
            .as_ref()
            .err()
            .map(|(reason, detail)| format!("model value refused ({}): {detail}", reason.as_str()));
        let accepted_before = self.model_counters.accepted;
        self.step_model(now_ns(), vec![ReadLine { line_no: 0, parsed }])?;
        *self.operator_controls.entry("model").or_default() += 1;
        if self.model_counters.accepted > accepted_before {
            let (tokens, budget) = self.write_tokens();
            return Ok(CtlAnswer {
                ok: true,
                error: None,
                seq: None,
                status: Some(status_json(&figures(&self.sequencer), tokens, budget)),
            });
        }
        Ok(CtlAnswer::refused(detail.unwrap_or_else(|| {
            "model value refused (unknown market, stale, or from the future); see the log"
                .to_string()
        })))
    }

    /// `ctl set KEY=VALUE`: journaled as `Event::OperatorSet`; the engine applies it or
    /// refuses it (a looser risk limit), and the answer says which.
    fn on_set(&mut self, request: &ControlRequest, running: bool) -> anyhow::Result<CtlAnswer> {
        if !running {
            return Ok(CtlAnswer::refused("the run is shutting down"));
        }
        let setting = match parse_setting(request.setting.as_deref().unwrap_or("")) {
            Ok(setting) => setting,
            Err(error) => return Ok(CtlAnswer::refused(error)),
        };
        let event = Event::OperatorSet(OperatorSet {
            peer_uid: request.peer_uid,
            setting,
        });
        let (seq, decisions) = self.sequencer.step_batched_decisions(now_ns(), event)?;
        *self.operator_controls.entry("set").or_default() += 1;
        let verdict = decisions.iter().find_map(|decision| match decision {
            Decision::OperatorSetting {
                applied, reason, ..
            } => Some((*applied, reason.clone())),
            _ => None,
        });
        let (applied, reason) = verdict.unwrap_or((false, "the engine did not answer".to_string()));
        tracing::warn!(
            ?setting,
            peer_uid = request.peer_uid,
            applied,
            reason,
            seq,
            "operator setting journaled"
        );
        let (tokens, budget) = self.write_tokens();
        Ok(CtlAnswer {
            ok: applied,
            error: (!applied).then(|| format!("set refused: {reason}")),
            seq: Some(seq),
            status: Some(status_json(&figures(&self.sequencer), tokens, budget)),
        })
    }
}
