//! Keeps a chart line's points bounded however long the backtest runs.
//!
//! Charts draw at most a few thousand points per line (`report::svg::POINTS_MAX`), while a
//! market-day of L2 data changes the touch hundreds of thousands of times. A line keeps at
//! most [`LINE_POINTS_MAX`] points: when full, every other point is dropped and from then on
//! only every `stride`-th offered point is kept (the stride doubles each time), so the kept
//! points stay evenly spread over the run and memory does not grow with its length.

/// Most points one chart line keeps.
pub const LINE_POINTS_MAX: usize = 20_000;

/// The thinning state of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineThinning {
    /// Every `stride`-th offered point is kept.
    stride: u64,
    /// Points offered so far.
    offered: u64,
    /// Most points kept (at least 2).
    points_max: usize,
}

impl Default for LineThinning {
    fn default() -> LineThinning {
        LineThinning::with_points_max(LINE_POINTS_MAX)
    }
}

impl LineThinning {
    /// Thinning that keeps at most `points_max` points (at least 2).
    pub fn with_points_max(points_max: usize) -> LineThinning {
        LineThinning {
            stride: 1,
            offered: 0,
            points_max: points_max.max(2),
        }
    }

    /// Offers `point` to `points`: kept when it falls on the stride, then the line is halved
    /// if it is full.
    pub fn push<T>(&mut self, points: &mut Vec<T>, point: T) {
        if self.offered % self.stride == 0 {
            points.push(point);
        }
        self.offered += 1;
        if points.len() >= self.points_max {
            let mut position = 0usize;
            points.retain(|_| {
                let keep = position % 2 == 0;
                position += 1;
                keep
            });
            self.stride = self.stride.saturating_mul(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_keep_every_point() {
        let mut thinning = LineThinning::with_points_max(10);
        let mut points = Vec::new();
        for value in 0..9 {
            thinning.push(&mut points, value);
        }
        assert_eq!(points, (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn long_lines_stay_bounded_and_evenly_spread() {
        let mut thinning = LineThinning::with_points_max(8);
        let mut points = Vec::new();
        for value in 0..1_000u32 {
            thinning.push(&mut points, value);
            assert!(points.len() < 8, "{} points after {value}", points.len());
        }
        // Every kept point is a multiple of the final stride, starting at the first point.
        assert_eq!(points.first(), Some(&0));
        let stride = points[1] - points[0];
        assert!(stride.is_power_of_two());
        assert!(points.windows(2).all(|pair| pair[1] - pair[0] == stride));
        // And the kept points reach the end of the run.
        assert!(*points.last().unwrap_or(&0) + stride >= 1_000 - stride);
    }
}
