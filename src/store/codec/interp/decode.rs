//! The decoder of [`super`]: parameters, the slab table and the walk
//! that reconstructs each stream.

use super::*;

/// Reads the parameter block.
fn read_params(params: &[u8]) -> Result<(f64, Config, Form)> {
    let mut c = Cursor::params(params);
    let flags = c.u8("predictor")?;
    let d = c.f64("step")?;
    let alpha = f32::from_le_bytes(c.take(4, "alpha")?.try_into().unwrap());
    let beta = f32::from_le_bytes(c.take(4, "beta")?.try_into().unwrap());
    let slab_rows = if flags & FLAG_SLABS != 0 {
        let rows = u32::from_le_bytes(c.take(4, "rows per slab")?.try_into().unwrap());
        if rows == 0 {
            return Err(params_err(17, "zero rows per slab"));
        }
        Some(rows as usize)
    } else {
        None
    };
    c.finish("interp parameters")?;
    let form = Form {
        symbols: flags & FLAG_SYMBOLS != 0,
        f32_values: flags & FLAG_F32 != 0,
        slab_rows,
    };
    let one_sided = flags & FLAG_ONE_SIDED != 0;
    let reversed = flags & FLAG_REVERSED != 0;
    if flags > 63
        || ((form.f32_values || slab_rows.is_some() || reversed || one_sided) && !form.symbols)
        || (one_sided && flags & 1 == 0)
    {
        return Err(params_err(0, format!("unknown predictor and form {flags}")));
    }
    if !(d.is_finite() && d > 0.0) {
        return Err(params_err(
            1,
            format!("step {d} is not finite and positive"),
        ));
    }
    if !(1.0..=4.0).contains(&alpha) {
        return Err(params_err(9, format!("alpha {alpha} outside 1 ..= 4")));
    }
    if !(1.0..=64.0).contains(&beta) {
        return Err(params_err(13, format!("beta {beta} outside 1 ..= 64")));
    }
    Ok((
        d,
        Config {
            cubic: flags & 1 == 1,
            one_sided,
            reversed,
            alpha,
            beta,
        },
        form,
    ))
}

/// The base step `D` of a parameter block.
///
/// # Errors
/// [`Error::Corrupt`] for a damaged block.
pub fn read_step(params: &[u8]) -> Result<f64> {
    read_params(params).map(|(d, _, _)| d)
}

/// The element count of `shape`, refused when the payload is too short to
/// hold that many (guards the allocation).
fn decoded_len(payload: &[u8], shape: &[usize]) -> Result<usize> {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &v| a.checked_mul(v))
        .ok_or_else(|| payload_err(0, "element count overflows"))?;
    // Every element takes at least 0.0014 coded bits (its zero flag): a
    // stream this short cannot hold this many.
    if n / 8192 > payload.len() {
        return Err(payload_err(
            payload.len(),
            "payload too short for the shape",
        ));
    }
    Ok(n)
}

/// Decodes into `y` (as long as the shape) with the coder of `form`, slab
/// by slab in parallel when the payload is cut into slabs.
fn decode_all<Y: Stored>(
    payload: &[u8],
    shape: &[usize],
    d: f64,
    c: Config,
    form: Form,
    y: &mut [Y],
) -> Result<()> {
    let Some(rows) = form.slab_rows else {
        return decode_into(payload, shape, d, c, form, y);
    };
    let slabs = Slabs::with_rows(shape, rows)?;
    let streams = slabs::split(payload, slabs.count())?;
    let items: Vec<_> = streams.into_iter().zip(slabs.parts_mut(y)).collect();
    let results = slabs.map(shape, items, |i, shape, ((start, stream), y)| {
        decode_into(stream, shape, d, c, form, y).map_err(|e| match e {
            Error::Corrupt {
                what,
                offset,
                detail,
            } => Error::Corrupt {
                what,
                offset: offset + start as u64,
                detail: format!("slab {i}: {detail}"),
            },
            e => e,
        })
    });
    results.into_iter().collect()
}

/// The walk of [`decode_into`] with model `m` (its `get` decodes one
/// integer in a context).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn walk_decoding<Y: Stored, M>(
    shape: &[usize],
    c: Config,
    y: &mut [Y],
    steps: &[(f64, f64)],
    mags: &mut [u8],
    dec: &mut Decoder<'_>,
    mut m: M,
    get: impl Fn(&mut M, &mut Decoder<'_>, usize) -> i64,
) {
    walk::<true, Y>(
        shape,
        c,
        y,
        #[inline(always)]
        |p, pred, l, near| {
            let k = get(&mut m, dec, context(mags, l, near));
            mags[p] = mag(k);
            pred + k as f64 * steps[l as usize].0
        },
    );
}

/// Decodes one stream into `y` (as long as the shape) with the coder of
/// `form`.
fn decode_into<Y: Stored>(
    payload: &[u8],
    shape: &[usize],
    d: f64,
    c: Config,
    form: Form,
    y: &mut [Y],
) -> Result<()> {
    let mut dec = Decoder::new(payload);
    let mut mags = vec![0u8; y.len()];
    let steps = step_table(shape, d, c);
    if form.symbols {
        let m = SymbolModel::new(CONTEXTS);
        walk_decoding(
            shape,
            c,
            y,
            &steps,
            &mut mags,
            &mut dec,
            m,
            SymbolModel::get,
        );
    } else {
        let m = IntModel::new(CONTEXTS);
        walk_decoding(shape, c, y, &steps, &mut mags, &mut dec, m, IntModel::get);
    }
    if !dec.consumed_exactly() {
        return Err(payload_err(
            payload.len(),
            "arithmetic-coded stream does not end where the values do",
        ));
    }
    if let Some(i) = y.iter().position(|v| !v.load().is_finite()) {
        return Err(payload_err(
            0,
            format!("element {i} decodes to a non-finite value"),
        ));
    }
    Ok(())
}

/// Decodes to f64 values (before the rounding to f32 that [`decode`]
/// applies; in the second form of f32 data, the f32 values).
///
/// # Errors
/// [`Error::Corrupt`] for damaged parameters, a stream not consumed exactly
/// or values that are not finite.
pub fn decode_f64(params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f64>> {
    let (d, c, form) = read_params(params)?;
    let n = decoded_len(payload, shape)?;
    if form.f32_values {
        let mut y = vec![0.0f32; n];
        decode_all(payload, shape, d, c, form, &mut y)?;
        return Ok(y.into_iter().map(f64::from).collect());
    }
    let mut y = vec![0.0f64; n];
    decode_all(payload, shape, d, c, form, &mut y)?;
    Ok(y)
}

/// Decodes to f32 values.
///
/// # Errors
/// As [`decode_f64`].
pub fn decode(params: &[u8], payload: &[u8], shape: &[usize]) -> Result<Vec<f32>> {
    let (d, c, form) = read_params(params)?;
    let n = decoded_len(payload, shape)?;
    if form.f32_values {
        let mut y = vec![0.0f32; n];
        decode_all(payload, shape, d, c, form, &mut y)?;
        return Ok(y);
    }
    let mut y = vec![0.0f64; n];
    decode_all(payload, shape, d, c, form, &mut y)?;
    Ok(y.into_iter().map(|v| v as f32).collect())
}
