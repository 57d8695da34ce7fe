//! A small hand-written SVG plot of rate-distortion points: compression
//! ratio (x, log scale) against relative error (y, log scale), one line per
//! curve, with axes, decade grid and legend.

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
    for (i, c) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut cp: Vec<&&RdPoint> = pts.iter().filter(|p| p.curve == *c).collect();
        cp.sort_by(|a, b| a.ratio.total_cmp(&b.ratio));
        if cp.len() > 1 {
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
        for p in &cp {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"><title>{} {}: ratio {:.2}, error {:.2e}</title></circle>"#,
                sx(p.ratio),
                sy(p.error),
                esc(&p.curve),
                esc(&p.setting),
                p.ratio,
                p.error
            );
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = LEFT + pw + 15.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"/><circle cx="{}" cy="{ly}" r="3.5" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            lx + 24.0,
            lx + 12.0,
            lx + 30.0,
            ly + 4.0,
            esc(c)
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
            },
            RdPoint {
                curve: "quant".into(),
                setting: "b".into(),
                ratio: 9.0,
                error: 0.1,
            },
            RdPoint {
                curve: "int8 & co".into(),
                setting: "row".into(),
                ratio: 4.0,
                error: 0.008,
            },
            RdPoint {
                curve: "raw".into(),
                setting: "".into(),
                ratio: 1.0,
                error: 0.0,
            },
        ];
        let svg = plot(&pts, "rd");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<circle").count(), 3 + 2);
        assert!(svg.contains("int8 &amp; co"));
        assert!(svg.contains("log scale"));
        assert!(svg.contains("<polyline"));
    }
}
