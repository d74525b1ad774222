//! Minimal inline SVG line and point charts with integer geometry.

use std::fmt::Write;

/// Chart width in px.
pub const WIDTH_PX: i64 = 900;
/// Chart height in px.
pub const HEIGHT_PX: i64 = 240;
const MARGIN_LEFT_PX: i64 = 70;
const MARGIN_RIGHT_PX: i64 = 10;
const MARGIN_Y_PX: i64 = 20;
/// Most points drawn per series; longer series are thinned evenly (the last point is kept).
pub const POINTS_MAX: usize = 1_500;

/// One series to draw.
pub struct Line<'a> {
    /// Legend name.
    pub name: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// (x, y) points, x ascending.
    pub points: Vec<(i64, i64)>,
    /// Draw as a step function (value holds until the next point) instead of segments.
    pub step: bool,
    /// Draw points only.
    pub dots: bool,
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

/// An SVG chart of `lines`, x in ns since the epoch, y labelled with `y_label(value)`.
pub fn chart(title: &str, lines: &[Line<'_>], y_label: &dyn Fn(i64) -> String) -> String {
    let thinned: Vec<Vec<(i64, i64)>> = lines.iter().map(|line| thin(&line.points)).collect();
    let all = thinned.iter().flatten();
    let (mut x_low, mut x_high, mut y_low, mut y_high) = (i64::MAX, i64::MIN, i64::MAX, i64::MIN);
    for (x, y) in all {
        x_low = x_low.min(*x);
        x_high = x_high.max(*x);
        y_low = y_low.min(*y);
        y_high = y_high.max(*y);
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH_PX}\" height=\"{HEIGHT_PX}\" viewBox=\"0 0 {WIDTH_PX} {HEIGHT_PX}\" role=\"img\">",
        escape(title)
    );
    if x_low > x_high {
        svg.push_str("<text x=\"20\" y=\"40\">no data</text></svg></figure>");
        return svg;
    }
    let (left, right) = (MARGIN_LEFT_PX, WIDTH_PX - MARGIN_RIGHT_PX);
    let (top, bottom) = (MARGIN_Y_PX, HEIGHT_PX - MARGIN_Y_PX);
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#ccc\"/>",
        right - left,
        bottom - top
    );
    for (value, y) in [(y_high, top), (y_low, bottom)] {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            left - 4,
            y + 4,
            escape(&y_label(value))
        );
    }
    let span_s = (x_high - x_low) / 1_000_000_000;
    let _ = write!(
        svg,
        "<text x=\"{right}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{span_s} s</text>",
        HEIGHT_PX - 4
    );
    for (index, (line, points)) in lines.iter().zip(&thinned).enumerate() {
        let map = |(x, y): (i64, i64)| {
            (
                scale(x, x_low, x_high, left, right),
                scale(y, y_low, y_high, bottom, top),
            )
        };
        if line.dots {
            for point in points {
                let (x, y) = map(*point);
                let _ = write!(
                    svg,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"1.5\" fill=\"{}\"/>",
                    line.color
                );
            }
        } else if !points.is_empty() {
            let mut path = String::new();
            let mut previous_y = None;
            for point in points {
                let (x, y) = map(*point);
                match previous_y {
                    None => {
                        let _ = write!(path, "M{x},{y}");
                    }
                    Some(last_y) if line.step => {
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
                "<path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>",
                line.color
            );
        }
        let legend_x = left + 8 + i64::try_from(index).unwrap_or(0) * 150;
        let _ = write!(
            svg,
            "<rect x=\"{legend_x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            top + 6,
            line.color,
            legend_x + 14,
            top + 15,
            escape(line.name)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}
