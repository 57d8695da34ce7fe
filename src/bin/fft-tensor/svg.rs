//! A small hand-written SVG plot of rate-distortion points: compression
//! ratio (x, log scale) against relative error (y, log scale), one line per
//! error-driven curve and single labelled points for fixed layouts, with a
//! marker shape per curve, axes, decade grid and legend; curves that lie on
//! top of each other are named in a note, and so is sampling.

use std::fmt::Write;

use fft_tensor::store::RdPoint;

const W: f64 = 760.0;
const H: f64 = 500.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22",
];

/// Marker `i` (circle, square, triangle, diamond, cross) at `(x, y)`.
fn marker(i: usize, x: f64, y: f64, color: &str, title: &str) -> String {
    let r = 4.0;
    let body = match i % 5 {
        0 => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{color}">"#),
        1 => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{}" height="{}" fill="{color}">"#,
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        2 => format!(
            r#"<polygon points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{color}">"#,
            y - r * 1.2,
            x - r * 1.1,
            y + r * 0.8,
            x + r * 1.1,
            y + r * 0.8
        ),
        3 => format!(
            r#"<polygon points="{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}" fill="{color}">"#,
            y - r * 1.3,
            x + r * 1.3,
            y + r * 1.3,
            x - r * 1.3
        ),
        _ => format!(
            r#"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" stroke="{color}" stroke-width="2.5">"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
    };
    let tag = match i % 5 {
        0 => "circle",
        1 => "rect",
        2 | 3 => "polygon",
        _ => "path",
    };
    format!("{body}<title>{title}</title></{tag}>")
}

/// Whether every point of `a` lies within 2 % (ratio and error) of a point
/// of `b`.
fn covered(a: &[&&RdPoint], b: &[&&RdPoint]) -> bool {
    let near = |x: f64, y: f64| (x / y).ln().abs() < 0.02;
    !a.is_empty()
        && a.iter().all(|p| {
            b.iter()
                .any(|q| near(p.ratio, q.ratio) && near(p.error, q.error))
        })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn decade_label(e: i32) -> String {
    match e {
        0 => "1".into(),
        1 => "10".into(),
        2 => "100".into(),
        -1 => "0.1".into(),
        -2 => "0.01".into(),
        _ => format!("1e{e}"),
    }
}

/// Renders the points as an SVG document. Points with zero error (lossless)
/// cannot sit on a log axis and are left out of the drawing.
pub fn plot(points: &[RdPoint], title: &str) -> String {
    let pts: Vec<&RdPoint> = points
        .iter()
        .filter(|p| p.error > 0.0 && p.ratio > 0.0 && p.error.is_finite() && p.ratio.is_finite())
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &pts {
        x0 = x0.min(p.ratio.log10());
        x1 = x1.max(p.ratio.log10());
        y0 = y0.min(p.error.log10());
        y1 = y1.max(p.error.log10());
    }
    if pts.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, -3.0, 0.0);
    }
    let (x0, x1) = (x0.floor(), x1.ceil().max(x0.floor() + 1.0));
    let (y0, y1) = (y0.floor(), y1.ceil().max(y0.floor() + 1.0));
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |r: f64| LEFT + (r.log10() - x0) / (x1 - x0) * pw;
    let sy = |e: f64| TOP + (y1 - e.log10()) / (y1 - y0) * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
        LEFT + pw / 2.0,
        esc(title)
    );
    // Grid and ticks.
    for e in x0 as i32..=x1 as i32 {
        let x = LEFT + (f64::from(e) - x0) / (x1 - x0) * pw;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 18.0,
            decade_label(e)
        );
    }
    for e in y0 as i32..=y1 as i32 {
        let y = TOP + (y1 - f64::from(e)) / (y1 - y0) * ph;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 8.0,
            y + 4.0,
            decade_label(e)
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">compression ratio (original bytes / stored bytes, log scale)</text>"#,
        LEFT + pw / 2.0,
        H - 15.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">largest per-tensor relative error (log scale)</text>"#,
        TOP + ph / 2.0
    );
    // Curves in order of first appearance.
    let mut curves: Vec<&str> = Vec::new();
    for p in &pts {
        if !curves.contains(&p.curve.as_str()) {
            curves.push(&p.curve);
        }
    }
    let by_curve: Vec<Vec<&&RdPoint>> = curves
        .iter()
        .map(|c| {
            let mut cp: Vec<&&RdPoint> = pts.iter().filter(|p| p.curve == *c).collect();
            cp.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
            cp
        })
        .collect();
    let mut notes: Vec<String> = Vec::new();
    for i in 0..curves.len() {
        for j in i + 1..curves.len() {
            if covered(&by_curve[j], &by_curve[i]) {
                notes.push(format!("{} lies on {}", curves[j], curves[i]));
            } else if covered(&by_curve[i], &by_curve[j]) {
                notes.push(format!("{} lies on {}", curves[i], curves[j]));
            }
        }
    }
    if pts.iter().any(|p| p.sampled) {
        notes.push("large tensors: error-driven codecs measured on a slab, bytes scaled".into());
    }
    for (i, c) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let cp = &by_curve[i];
        let fixed = cp.iter().all(|p| p.fixed);
        if cp.len() > 1 && !fixed {
            let path: Vec<String> = cp
                .iter()
                .map(|p| format!("{:.1},{:.1}", sx(p.ratio), sy(p.error)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                path.join(" ")
            );
        }
        for p in cp {
            let title = format!(
                "{} {}: ratio {:.2}, error {:.2e}",
                esc(&p.curve),
                esc(&p.setting),
                p.ratio,
                p.error
            );
            let _ = writeln!(s, "{}", marker(i, sx(p.ratio), sy(p.error), color, &title));
            if fixed {
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{color}">{}</text>"#,
                    sx(p.ratio) + 6.0,
                    sy(p.error) - 6.0,
                    esc(&p.setting)
                );
            }
        }
        let ly = TOP + 10.0 + 18.0 * i as f64;
        let lx = LEFT + pw + 15.0;
        if !fixed {
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"/>"#,
                lx + 24.0
            );
        }
        let label = if fixed {
            format!("{c} (fixed layouts)")
        } else {
            c.to_string()
        };
        let _ = writeln!(
            s,
            r#"{}<text x="{}" y="{}">{}</text>"#,
            marker(i, lx + 12.0, ly, color, &esc(c)),
            lx + 30.0,
            ly + 4.0,
            esc(&label)
        );
    }
    let ny = TOP + 18.0 + 18.0 * curves.len() as f64;
    for (k, n) in notes.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="10">note: {}</text>"#,
            LEFT + pw + 15.0,
            ny + 14.0 * k as f64,
            esc(n)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_has_axes_legend_and_points() {
        let pts = vec![
            RdPoint {
                curve: "quant".into(),
                setting: "a".into(),
                ratio: 4.5,
                error: 0.01,
                fixed: false,
                sampled: false,
            },
            RdPoint {
                curve: "quant".into(),
                setting: "b".into(),
                ratio: 9.0,
                error: 0.1,
                fixed: false,
                sampled: false,
            },
            RdPoint {
                curve: "int8 & co".into(),
                setting: "row".into(),
                ratio: 4.0,
                error: 0.008,
                fixed: true,
                sampled: false,
            },
            RdPoint {
                curve: "int8 & co".into(),
                setting: "g64".into(),
                ratio: 3.8,
                error: 0.005,
                fixed: true,
                sampled: false,
            },
            RdPoint {
                curve: "twin".into(),
                setting: "a".into(),
                ratio: 4.5,
                error: 0.01,
                fixed: false,
                sampled: true,
            },
            RdPoint {
                curve: "raw".into(),
                setting: "".into(),
                ratio: 1.0,
                error: 0.0,
                fixed: false,
                sampled: false,
            },
        ];
        let svg = plot(&pts, "rd");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        // quant: circles (2 points + legend); int8: squares (2 + legend);
        // twin: triangles (1 + legend).
        assert_eq!(svg.matches("<circle").count(), 2 + 1);
        assert_eq!(svg.matches("<rect x=").count(), 2 + 1 + 1);
        assert_eq!(svg.matches("<polygon").count(), 1 + 1);
        assert!(svg.contains("int8 &amp; co (fixed layouts)"));
        assert!(svg.contains("log scale"));
        // Only quant is joined: the fixed layouts are single points.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("note: twin lies on quant"));
        assert!(svg.contains("measured on a slab"));
    }
}
