//! `--plot FILE.svg`: one panel per metric, a bar per subject at its median with a
//! whisker over its range, drawn with plotters' SVG backend.

use std::path::Path;

use plotters::prelude::*;

use super::report::{summary, Better, Section, Subject};

fn color(subject: Subject) -> RGBColor {
    match subject {
        Subject::Plain => RGBColor(140, 140, 140),
        Subject::TokioSleep => RGBColor(230, 159, 0),
        Subject::TimerFd => RGBColor(86, 180, 233),
        Subject::Rust => RGBColor(0, 158, 115),
        Subject::Wx => RGBColor(0, 114, 178),
        Subject::Addon => RGBColor(204, 121, 167),
        Subject::Node => RGBColor(213, 94, 0),
    }
}

/// Short names for the axis.
fn short(subject: Subject) -> &'static str {
    match subject {
        Subject::Plain => "plain",
        Subject::TokioSleep => "tokio sleep",
        Subject::TimerFd => "timerfd",
        Subject::Rust => "Rust API",
        Subject::Wx => "wxudp run",
        Subject::Addon => "addon",
        Subject::Node => "node",
    }
}

/// Draws `sections` into an SVG file at `path`.
pub fn plot(path: &Path, sections: &[Section], caption: &str) -> Result<(), String> {
    let shown: Vec<&Section> = sections
        .iter()
        .filter(|s| s.rows.iter().any(|r| !r.samples.is_empty()))
        .collect();
    let cols = 2usize;
    let rows = shown.len().div_ceil(cols).max(1);
    let (w, h) = (1100u32, 60 + 300 * rows as u32);
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (title, body) = root.split_vertically(50);
    title
        .titled(caption, ("sans-serif", 20))
        .map_err(|e| err(&e))?;
    let panels = body.split_evenly((rows, cols));
    for (section, area) in shown.iter().zip(panels.iter()) {
        panel(area, section).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn panel(area: &Area<'_>, section: &Section) -> Result<(), Box<dyn std::error::Error>> {
    let bars: Vec<(Subject, f64, f64, f64)> = section
        .rows
        .iter()
        .filter_map(|r| summary(&r.samples).map(|(m, lo, hi)| (r.subject, m, lo, hi)))
        .collect();
    let top = bars
        .iter()
        .map(|b| b.3)
        .chain(match section.metric.better {
            Better::Ideal(v) => Some(v),
            _ => None,
        })
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.15;
    let hint = match section.metric.better {
        Better::Lower => "lower is better",
        Better::Higher => "higher is better",
        Better::Ideal(_) => "dashed: ideal",
    };
    let n = bars.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{} ({}, {hint})", section.metric.title, section.metric.unit),
            ("sans-serif", 13),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)?;
    let names: Vec<&str> = bars.iter().map(|b| short(b.0)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor();
            if (x - i - 0.5).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).copied().unwrap_or("").to_string()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.1}"))
        .label_style(("sans-serif", 11))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        let x = i as f64;
        Rectangle::new([(x + 0.15, 0.0), (x + 0.85, b.1)], color(b.0).filled())
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
        ErrorBar::new_vertical(i as f64 + 0.5, b.2, b.1, b.3, BLACK.stroke_width(1), 8)
    }))?;
    if let Better::Ideal(v) = section.metric.better {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, v), (n as f64, v)],
            6,
            4,
            BLACK.stroke_width(1),
        ))?;
    }
    Ok(())
}
