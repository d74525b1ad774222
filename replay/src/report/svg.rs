//! Inline SVG charts with integer geometry: a time axis shared by every chart of a report
//! (UTC clock labels at round steps, gridlines), a value axis with round ticks and a unit
//! title, a legend above the plot (never over a line), step lines, dots and fill markers.

use std::fmt::Write;

/// Chart width in px.
pub const WIDTH_PX: i64 = 960;
/// Chart height in px.
pub const HEIGHT_PX: i64 = 260;
const MARGIN_LEFT_PX: i64 = 86;
const MARGIN_RIGHT_PX: i64 = 16;
/// Room above the plot for the legend.
const MARGIN_TOP_PX: i64 = 30;
/// Room below the plot for the tick labels and the axis title.
const MARGIN_BOTTOM_PX: i64 = 40;
/// Most points drawn per series; longer series are thinned evenly (the last point is kept).
pub const POINTS_MAX: usize = 1_500;
/// Value ticks aimed at per chart.
const VALUE_TICKS: i64 = 5;
/// Time ticks aimed at per chart.
const TIME_TICKS: i64 = 8;
use kalshi_core::time::NS_PER_S;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Segments between points.
    Line,
    /// A step function: each value holds until the next point.
    Step,
    /// Small dots.
    Dots,
    /// Upward triangles (a buy).
    Up,
    /// Downward triangles (a sell).
    Down,
}

/// One series to draw.
pub struct Series<'a> {
    /// Legend name.
    pub name: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// (x, y) points, x ascending.
    pub points: Vec<(i64, i64)>,
    /// How it is drawn.
    pub style: Style,
}

/// The horizontal axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XAxis {
    /// Unix ns from `start_ns` to `end_ns`, labelled with UTC clock times.
    Time {
        /// Left edge.
        start_ns: i64,
        /// Right edge.
        end_ns: i64,
    },
    /// Evenly spaced categories `0..labels.len()`, labelled with `labels`.
    Categories(&'static [&'static str]),
}

/// A chart: title, axes and series.
pub struct Chart<'a> {
    /// Caption.
    pub title: &'a str,
    /// Value-axis title, with its unit (`equity ($)`).
    pub y_title: &'a str,
    /// Value label of a tick.
    pub y_label: &'a dyn Fn(i64) -> String,
    /// The horizontal axis.
    pub x: XAxis,
    /// Series, drawn in order.
    pub series: Vec<Series<'a>>,
    /// Draw a zero line when zero is inside the value range.
    pub zero_line: bool,
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn thin(points: &[(i64, i64)]) -> Vec<(i64, i64)> {
    if points.len() <= POINTS_MAX {
        return points.to_vec();
    }
    let stride = points.len().div_ceil(POINTS_MAX);
    let mut kept: Vec<(i64, i64)> = points.iter().step_by(stride).copied().collect();
    if let Some(last) = points.last()
        && kept.last() != Some(last)
    {
        kept.push(*last);
    }
    kept
}

fn scale(value: i64, low: i64, high: i64, out_low: i64, out_high: i64) -> i64 {
    if high <= low {
        return (out_low + out_high) / 2;
    }
    let offset = i128::from(value - low) * i128::from(out_high - out_low) / i128::from(high - low);
    out_low + i64::try_from(offset).unwrap_or(0)
}

/// A round step (1, 2 or 5 × 10ⁿ) near `span / ticks`.
pub fn nice_step(span: i64, ticks: i64) -> i64 {
    let raw = (span.max(1) as u64).div_ceil(ticks.max(1) as u64).max(1) as i64;
    let mut magnitude = 1i64;
    while magnitude <= raw / 10 {
        magnitude = magnitude.saturating_mul(10);
    }
    for factor in [1, 2, 5, 10] {
        let step = magnitude.saturating_mul(factor);
        if step >= raw {
            return step;
        }
    }
    magnitude.saturating_mul(10)
}

/// A round time step near `span_ns / ticks`: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min,
/// 1, 2, 3, 6, 12 h, 1 day.
pub fn nice_time_step_ns(span_ns: i64, ticks: i64) -> i64 {
    const STEPS_S: [i64; 17] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    ];
    let raw_s = span_ns / ticks.max(1) / NS_PER_S;
    STEPS_S
        .iter()
        .copied()
        .find(|step| *step >= raw_s)
        .unwrap_or(86_400)
        .saturating_mul(NS_PER_S)
}

/// `HH:MM:SS` (UTC) of a Unix ns time.
fn clock_label(ts_ns: i64) -> String {
    let text = kalshi_core::time::format_rfc3339_seconds(ts_ns);
    text.get(11..19).unwrap_or(&text).to_string()
}

/// The multiples of `step` inside `low..=high`.
fn ticks(low: i64, high: i64, step: i64) -> Vec<i64> {
    if step <= 0 || high < low {
        return Vec::new();
    }
    let first = low.div_euclid(step) * step + if low.rem_euclid(step) == 0 { 0 } else { step };
    let mut out = Vec::new();
    let mut value = first;
    while value <= high && out.len() < 64 {
        out.push(value);
        value = value.saturating_add(step);
    }
    out
}

/// Renders `chart` as a `<figure>` with an inline `<svg>`. A chart without any point says
/// `empty` in its plot area instead of drawing empty axes.
pub fn render(chart: &Chart<'_>, empty: &str) -> String {
    let thinned: Vec<Vec<(i64, i64)>> = chart.series.iter().map(|s| thin(&s.points)).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH_PX}\" height=\"{HEIGHT_PX}\" viewBox=\"0 0 {WIDTH_PX} {HEIGHT_PX}\" role=\"img\" aria-label=\"{}\">",
        escape(chart.title),
        escape(chart.title)
    );
    let (left, right) = (MARGIN_LEFT_PX, WIDTH_PX - MARGIN_RIGHT_PX);
    let (top, bottom) = (MARGIN_TOP_PX, HEIGHT_PX - MARGIN_BOTTOM_PX);
    let (mut y_low, mut y_high) = (i64::MAX, i64::MIN);
    for (_, y) in thinned.iter().flatten() {
        y_low = y_low.min(*y);
        y_high = y_high.max(*y);
    }
    if y_low > y_high {
        let _ = write!(
            svg,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ddd\"/><text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#777\">{}</text></svg></figure>",
            right - left,
            bottom - top,
            (left + right) / 2,
            (top + bottom) / 2,
            escape(empty)
        );
        return svg;
    }
    if chart.zero_line {
        y_low = y_low.min(0);
        y_high = y_high.max(0);
    }
    let y_step = nice_step((y_high - y_low).max(1), VALUE_TICKS);
    // Widen the value range to whole steps, so the top and bottom gridlines are labelled.
    let y_low = y_low.div_euclid(y_step) * y_step;
    let y_high = if y_high.rem_euclid(y_step) == 0 && y_high > y_low {
        y_high
    } else {
        (y_high.div_euclid(y_step) + 1) * y_step
    };
    let (x_low, x_high) = match chart.x {
        XAxis::Time { start_ns, end_ns } => (start_ns, end_ns.max(start_ns + 1)),
        XAxis::Categories(labels) => (0, i64::try_from(labels.len()).unwrap_or(1).max(2) - 1),
    };
    let map_x = |x: i64| scale(x, x_low, x_high, left, right);
    let map_y = |y: i64| scale(y, y_low, y_high, bottom, top);
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#bbb\"/>",
        right - left,
        bottom - top
    );
    // Value gridlines and labels.
    for value in ticks(y_low, y_high, y_step) {
        let y = map_y(value);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{y}\" x2=\"{right}\" y2=\"{y}\" stroke=\"{}\"/><text class=\"ytick\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            if value == 0 && chart.zero_line {
                "#888"
            } else {
                "#eee"
            },
            left - 6,
            y + 4,
            escape(&(chart.y_label)(value))
        );
    }
    // Horizontal ticks and labels.
    let x_ticks: Vec<(i64, String)> = match chart.x {
        XAxis::Time { .. } => {
            let step = nice_time_step_ns(x_high - x_low, TIME_TICKS);
            ticks(x_low, x_high, step)
                .into_iter()
                .map(|x| (x, clock_label(x)))
                .collect()
        }
        XAxis::Categories(labels) => labels
            .iter()
            .enumerate()
            .map(|(index, label)| (i64::try_from(index).unwrap_or(0), (*label).to_string()))
            .collect(),
    };
    for (x, label) in &x_ticks {
        let px = map_x(*x);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{px}\" y1=\"{top}\" x2=\"{px}\" y2=\"{bottom}\" stroke=\"#f0f0f0\"/><text class=\"xtick\" x=\"{px}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            bottom + 14,
            escape(label)
        );
    }
    let x_title = match chart.x {
        XAxis::Time { .. } => "time (UTC)",
        XAxis::Categories(_) => "horizon after the fill",
    };
    let _ = write!(
        svg,
        "<text class=\"xtitle\" x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{x_title}</text><text class=\"ytitle\" x=\"14\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\" transform=\"rotate(-90 14 {})\">{}</text>",
        (left + right) / 2,
        HEIGHT_PX - 6,
        (top + bottom) / 2,
        (top + bottom) / 2,
        escape(chart.y_title)
    );
    let mut legend_x = left;
    for (series, points) in chart.series.iter().zip(&thinned) {
        draw_series(&mut svg, series, points, &map_x, &map_y);
        let _ = write!(
            svg,
            "<rect x=\"{legend_x}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{}\"/><text class=\"legend\" x=\"{}\" y=\"17\" font-size=\"11\">{}</text>",
            series.color,
            legend_x + 14,
            escape(series.name)
        );
        let name_px = i64::try_from(series.name.chars().count()).unwrap_or(20) * 7;
        legend_x += 24 + name_px;
    }
    svg.push_str("</svg></figure>");
    svg
}

fn draw_series(
    svg: &mut String,
    series: &Series<'_>,
    points: &[(i64, i64)],
    map_x: &dyn Fn(i64) -> i64,
    map_y: &dyn Fn(i64) -> i64,
) {
    let color = series.color;
    match series.style {
        Style::Dots => {
            for (x, y) in points {
                let _ = write!(
                    svg,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"1.6\" fill=\"{color}\"/>",
                    map_x(*x),
                    map_y(*y)
                );
            }
        }
        Style::Up | Style::Down => {
            for (x, y) in points {
                let (x, y) = (map_x(*x), map_y(*y));
                let path = if series.style == Style::Up {
                    format!(
                        "M{},{} L{},{} L{},{} Z",
                        x - 4,
                        y + 4,
                        x + 4,
                        y + 4,
                        x,
                        y - 4
                    )
                } else {
                    format!(
                        "M{},{} L{},{} L{},{} Z",
                        x - 4,
                        y - 4,
                        x + 4,
                        y - 4,
                        x,
                        y + 4
                    )
                };
                let _ = write!(
                    svg,
                    "<path class=\"fill-marker\" d=\"{path}\" fill=\"{color}\" stroke=\"#333\" stroke-width=\"0.5\"/>"
                );
            }
        }
        Style::Line | Style::Step => {
            if points.is_empty() {
                return;
            }
            let mut path = String::new();
            let mut previous_y = None;
            for (x, y) in points {
                let (x, y) = (map_x(*x), map_y(*y));
                match previous_y {
                    None => {
                        let _ = write!(path, "M{x},{y}");
                    }
                    Some(last_y) if series.style == Style::Step => {
                        let _ = write!(path, " L{x},{last_y} L{x},{y}");
                    }
                    Some(_) => {
                        let _ = write!(path, " L{x},{y}");
                    }
                }
                previous_y = Some(y);
            }
            let _ = write!(
                svg,
                "<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.4\"/>"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100, 5), 20);
        assert_eq!(nice_step(1_234_567, 5), 500_000);
        assert_eq!(nice_step(7, 5), 2);
        assert_eq!(nice_time_step_ns(600 * NS_PER_S, 8), 120 * NS_PER_S);
        assert_eq!(nice_time_step_ns(30 * NS_PER_S, 8), 5 * NS_PER_S);
        assert_eq!(
            nice_time_step_ns(3 * 86_400 * NS_PER_S, 8),
            43_200 * NS_PER_S
        );
    }

    #[test]
    fn ticks_are_the_multiples_inside_the_range() {
        assert_eq!(ticks(-5, 25, 10), vec![0, 10, 20]);
        assert_eq!(ticks(0, 0, 10), vec![0]);
        assert!(ticks(5, 1, 10).is_empty());
    }

    #[test]
    fn a_time_chart_has_labelled_ticks_gridlines_and_an_outside_legend() {
        let start_ns = 1_793_491_200 * NS_PER_S;
        let chart = Chart {
            title: "equity",
            y_title: "equity ($)",
            y_label: &|v| format!("{v}"),
            x: XAxis::Time {
                start_ns,
                end_ns: start_ns + 600 * NS_PER_S,
            },
            series: vec![Series {
                name: "equity",
                color: "#000",
                points: vec![(start_ns, -3), (start_ns + 300 * NS_PER_S, 17)],
                style: Style::Step,
            }],
            zero_line: true,
        };
        let svg = render(&chart, "no trades");
        assert!(svg.contains(">00:00:00<"), "{svg}");
        assert!(svg.contains(">00:10:00<"), "{svg}");
        assert!(svg.matches("class=\"ytick\"").count() >= 3, "{svg}");
        assert!(svg.contains("time (UTC)"));
        assert!(svg.contains("equity ($)"));
        assert!(!svg.contains("class=\"empty\""));
        let empty = render(
            &Chart {
                series: Vec::new(),
                ..chart
            },
            "no trades",
        );
        assert!(empty.contains(">no trades<"), "{empty}");
        assert!(!empty.contains("class=\"ytick\""));
    }
}
