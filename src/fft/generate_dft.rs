//! WGSL text of small DFTs on named values, for the generated FFT kernels.
//!
//! A DFT of any radix is written out as straight-line `let` statements:
//! radices 1, 2 and 4 directly, other even radices by one Cooley-Tukey
//! split (4 x R/4 or 2 x R/2, the inner twiddles as literal constants), odd
//! composites by one split at their smallest prime, odd primes by pairing inputs `x[k]`, `x[R - k]` into sums and differences
//! (about R^2 / 2 real multiply-adds, constants computed in f64 and rounded
//! once). The direction is the WGSL f32 `sign` in scope (-1 forward).

use std::fmt::Write;

/// Emits statements into a string, naming temporaries uniquely.
pub(crate) struct Emitter<'a> {
    pub(crate) out: &'a mut String,
    pub(crate) indent: &'a str,
    prefix: &'a str,
    next: usize,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(out: &'a mut String, indent: &'a str, prefix: &'a str) -> Self {
        Emitter {
            out,
            indent,
            prefix,
            next: 0,
        }
    }

    /// `let NAME = expr;`, returning NAME.
    fn bind(&mut self, expr: &str) -> String {
        let name = format!("{}{}", self.prefix, self.next);
        self.next += 1;
        let _ = writeln!(self.out, "{}let {name} = {expr};", self.indent);
        name
    }

    /// The DFT of `x` (one WGSL vec2<f32> expression per input); returns
    /// the names of its outputs, in order.
    pub(crate) fn dft(&mut self, x: &[String]) -> Vec<String> {
        let r = x.len();
        match r {
            0 | 1 => x.to_vec(),
            2 => vec![
                self.bind(&format!("{} + {}", x[0], x[1])),
                self.bind(&format!("{} - {}", x[0], x[1])),
            ],
            4 => {
                let t0 = self.bind(&format!("{} + {}", x[0], x[2]));
                let t1 = self.bind(&format!("{} - {}", x[0], x[2]));
                let t2 = self.bind(&format!("{} + {}", x[1], x[3]));
                let t3 = self.bind(&format!("rot90({} - {}, sign)", x[1], x[3]));
                vec![
                    self.bind(&format!("{t0} + {t2}")),
                    self.bind(&format!("{t1} + {t3}")),
                    self.bind(&format!("{t0} - {t2}")),
                    self.bind(&format!("{t1} - {t3}")),
                ]
            }
            // Odd composites (9, 15, 21, 25, 27) split at their smallest prime.
            _ if r % 2 == 1 => match (3..r).step_by(2).find(|p| r.is_multiple_of(*p)) {
                Some(p) => self.split(x, p),
                None => self.odd(x),
            },
            _ if r.is_multiple_of(4) => self.split(x, 4),
            _ => self.split(x, 2),
        }
    }

    /// `v * W_n^m` in direction `sign`, as an expression.
    fn twiddle(&mut self, v: &str, m: usize, n: usize) -> String {
        let m = m % n;
        if m == 0 {
            return v.to_string();
        }
        if 4 * m == n {
            return self.bind(&format!("rot90({v}, sign)"));
        }
        if 2 * m == n {
            return self.bind(&format!("-{v}"));
        }
        if 4 * m == 3 * n {
            return self.bind(&format!("rot90({v}, -sign)"));
        }
        let angle = 2.0 * std::f64::consts::PI * m as f64 / n as f64;
        let (s, c) = angle.sin_cos();
        self.bind(&format!(
            "cmul({v}, vec2<f32>({}, sign * {}))",
            lit(c),
            lit(s)
        ))
    }

    /// Cooley-Tukey with `n = n1 + r1 n2`, `k = k2 + r2 k1`: DFTs of length
    /// `r2 = R / r1` down each `n1`, twiddles `W_R^(n1 k2)`, DFTs of length
    /// `r1` across.
    fn split(&mut self, x: &[String], r1: usize) -> Vec<String> {
        let r = x.len();
        let r2 = r / r1;
        let mut z: Vec<Vec<String>> = Vec::with_capacity(r1);
        for n1 in 0..r1 {
            let column: Vec<String> = (0..r2).map(|n2| x[n1 + r1 * n2].clone()).collect();
            let y = self.dft(&column);
            let twisted = y
                .iter()
                .enumerate()
                .map(|(k2, v)| self.twiddle(v, n1 * k2, r))
                .collect();
            z.push(twisted);
        }
        let mut out = vec![String::new(); r];
        for k2 in 0..r2 {
            let row: Vec<String> = (0..r1).map(|n1| z[n1][k2].clone()).collect();
            for (k1, v) in self.dft(&row).into_iter().enumerate() {
                out[k2 + r2 * k1] = v;
            }
        }
        out
    }

    /// Odd radix: output m is x0 + sum_k cos(2 pi k m / R) a_k plus
    /// (sign i) times sum_k sin(2 pi k m / R) b_k, output R - m the same
    /// with minus, where a_k = x[k] + x[R - k] and b_k = x[k] - x[R - k].
    fn odd(&mut self, x: &[String]) -> Vec<String> {
        let r = x.len();
        let h = r / 2;
        let a: Vec<String> = (1..=h)
            .map(|k| self.bind(&format!("{} + {}", x[k], x[r - k])))
            .collect();
        let b: Vec<String> = (1..=h)
            .map(|k| self.bind(&format!("{} - {}", x[k], x[r - k])))
            .collect();
        let mut out = vec![String::new(); r];
        out[0] = self.bind(&format!("{} + {}", x[0], a.join(" + ")));
        for m in 1..=h {
            let mut re = x[0].clone();
            let mut im = String::new();
            for k in 1..=h {
                let angle = 2.0 * std::f64::consts::PI * ((k * m) % r) as f64 / r as f64;
                let (s, c) = angle.sin_cos();
                let _ = write!(re, " + {} * {}", lit(c), a[k - 1]);
                if !im.is_empty() {
                    im.push_str(" + ");
                }
                let _ = write!(im, "{} * {}", lit(s), b[k - 1]);
            }
            let re = self.bind(&re);
            let im = self.bind(&format!("rot90({im}, sign)"));
            out[m] = self.bind(&format!("{re} + {im}"));
            out[r - m] = self.bind(&format!("{re} - {im}"));
        }
        out
    }
}

/// An f64 constant as a WGSL literal (parenthesised, so it may be negative).
fn lit(v: f64) -> String {
    format!("({v:?})")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evaluates the emitted statements on the host (in f64), for every
    /// radix the planner may use and some it may not, against a direct DFT.
    #[test]
    fn emitted_dfts_compute_the_dft() {
        for r in [
            1usize, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 21, 25, 27, 32,
        ] {
            for sign in [-1.0f64, 1.0] {
                let mut text = String::new();
                let inputs: Vec<String> = (0..r).map(|t| format!("in{t}")).collect();
                let outputs = Emitter::new(&mut text, "", "t").dft(&inputs);
                let x: Vec<(f64, f64)> = (0..r)
                    .map(|t| ((t as f64 * 0.37).sin(), (t as f64 * 1.3).cos()))
                    .collect();
                let got = eval(&text, &x, sign, &outputs);
                for (k, g) in got.iter().enumerate() {
                    let mut e = (0.0, 0.0);
                    for (t, v) in x.iter().enumerate() {
                        let a = sign * 2.0 * std::f64::consts::PI * (t * k) as f64 / r as f64;
                        e.0 += v.0 * a.cos() - v.1 * a.sin();
                        e.1 += v.0 * a.sin() + v.1 * a.cos();
                    }
                    let err = ((g.0 - e.0).powi(2) + (g.1 - e.1).powi(2)).sqrt();
                    assert!(
                        err < 1e-12,
                        "radix {r} sign {sign} output {k}: {g:?} vs {e:?}"
                    );
                }
            }
        }
    }

    type C = (f64, f64);

    /// A tiny evaluator for the emitted subset of WGSL: `let` statements of
    /// sums and differences of names, `c * name`, `rot90(expr, [-]sign)`,
    /// `cmul(name, vec2<f32>(c, sign * s))` and `-name`.
    fn eval(text: &str, x: &[C], sign: f64, outputs: &[String]) -> Vec<C> {
        let mut env: std::collections::HashMap<String, C> = x
            .iter()
            .enumerate()
            .map(|(t, &v)| (format!("in{t}"), v))
            .collect();
        for line in text.lines() {
            let line = line.trim().trim_end_matches(';');
            let (name, expr) = line
                .strip_prefix("let ")
                .unwrap()
                .split_once(" = ")
                .unwrap();
            let v = expr_value(expr, &env, sign);
            env.insert(name.to_string(), v);
        }
        outputs.iter().map(|o| env[o]).collect()
    }

    fn expr_value(expr: &str, env: &std::collections::HashMap<String, C>, sign: f64) -> C {
        let expr = expr.trim();
        if let Some(inner) = expr.strip_prefix("rot90(") {
            let inner = inner.strip_suffix(')').unwrap();
            let (arg, s) = inner.rsplit_once(", ").unwrap();
            let s = if s == "-sign" { -sign } else { sign };
            let v = expr_value(arg, env, sign);
            return (-s * v.1, s * v.0);
        }
        if let Some(inner) = expr.strip_prefix("cmul(") {
            let (arg, w) = inner.split_once(", vec2<f32>(").unwrap();
            let w = w.strip_suffix("))").unwrap();
            let (c, s) = w.split_once(", sign * ").unwrap();
            let (c, s) = (number(c), sign * number(s));
            let v = env[arg];
            return (v.0 * c - v.1 * s, v.0 * s + v.1 * c);
        }
        // Sums and differences of terms at the top level.
        let mut total = (0.0, 0.0);
        let mut depth = 0;
        let mut start = 0;
        let mut op = 1.0;
        let bytes = expr.as_bytes();
        let mut terms = Vec::new();
        for (i, &ch) in bytes.iter().enumerate() {
            match ch {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'+' | b'-' if depth == 0 && i > 0 && bytes[i - 1] == b' ' => {
                    terms.push((op, &expr[start..i]));
                    op = if ch == b'+' { 1.0 } else { -1.0 };
                    start = i + 1;
                }
                _ => {}
            }
        }
        terms.push((op, &expr[start..]));
        for (op, term) in terms {
            let term = term.trim();
            let v = if let Some((c, name)) = term.split_once(" * ") {
                let c = number(c);
                let v = expr_value(name, env, sign);
                (c * v.0, c * v.1)
            } else if let Some(name) = term.strip_prefix('-') {
                let v = env[name];
                (-v.0, -v.1)
            } else {
                env[term]
            };
            total.0 += op * v.0;
            total.1 += op * v.1;
        }
        total
    }

    fn number(s: &str) -> f64 {
        s.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .parse()
            .unwrap()
    }
}
