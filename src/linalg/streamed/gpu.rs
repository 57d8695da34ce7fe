//! The GPU path of the streamed matmul: a decoding thread feeds blocks to
//! the submitting thread through a one-slot channel; two scratch buffers
//! alternate, and a block is written only once the submission that last
//! used its buffer has completed.

use std::collections::VecDeque;
use std::sync::mpsc;

use super::{Block, StreamedWeight};
use crate::backend::{Context, Submission};
use crate::error::{Error, Result};
use crate::linalg::dense::{record_product, Placement};
use crate::linalg::MatmulShape;

/// Host bytes of one block ready for upload (`None`: decoded on the GPU).
type Ready = Result<Option<Vec<u8>>>;

fn host_bytes(w: &StreamedWeight, i: usize) -> Ready {
    Ok(match &w.blocks[i] {
        Block::Sparse(_) => None,
        Block::Quantized(q) => {
            let mut words = q.payload().to_vec();
            words.resize(q.bytes() as usize, 0);
            Some(words)
        }
        Block::Encoded(_) => {
            let values = w.decode_block(&Context::cpu(), i)?;
            Some(bytemuck::cast_slice(&values).to_vec())
        }
    })
}

pub(super) fn matmul_streamed(
    ctx: &Context,
    x: &[f32],
    w: &StreamedWeight,
    bias: Option<&[f32]>,
    shape: MatmulShape,
) -> Result<Vec<f32>> {
    let gpu = ctx.gpu().ok_or(Error::NoGpu {
        op: "matmul_streamed",
    })?;
    let xs = gpu.storage_from("streamed X", x)?;
    let bs = bias
        .map(|b| gpu.storage_from("streamed bias", b))
        .transpose()?;
    let ys = gpu.storage("streamed Y", 4 * shape.y_len() as u64)?;
    let scratch = [
        gpu.storage("streamed scratch", w.scratch_bytes())?,
        gpu.storage("streamed scratch", w.scratch_bytes())?,
    ];
    let (tx, rx) = mpsc::sync_channel::<(usize, Ready)>(1);
    std::thread::scope(|scope| -> Result<Vec<f32>> {
        scope.spawn(move || {
            for i in 0..w.blocks.len() {
                if tx.send((i, host_bytes(w, i))).is_err() {
                    return; // the submitting side stopped on an error
                }
            }
        });
        let mut in_flight: VecDeque<Submission> = VecDeque::new();
        for (i, ready) in rx {
            let ready = ready?;
            if in_flight.len() == 2 {
                in_flight.pop_front().expect("two in flight").wait()?;
            }
            let (r0, rows) = w.span(i);
            let buffer = &scratch[i % 2];
            let mut rec = ctx.recording("streamed block")?;
            let slice = buffer.slice();
            match (&w.blocks[i], ready) {
                (_, Some(bytes)) => rec.write(&slice, &bytes)?,
                (Block::Sparse(s), None) => ctx.record_decompress(&mut rec, s, &slice)?,
                _ => unreachable!("only sparse blocks are decoded on the GPU"),
            }
            record_product(
                ctx,
                &mut rec,
                &xs.slice(),
                &slice,
                w.layout(i),
                bs.as_ref().map(|b| b.slice()).as_ref(),
                &ys.slice(),
                MatmulShape::new(shape.batch, shape.inputs, rows),
                Placement {
                    row_stride: shape.outputs,
                    col0: r0,
                },
            )?;
            in_flight.push_back(rec.submit()?);
        }
        for s in in_flight {
            s.wait()?;
        }
        let mut rec = ctx.recording("streamed result")?;
        let out = rec.read_back(&ys.slice().sub(0, 4 * shape.y_len() as u64)?)?;
        rec.submit()?.wait()?.take(out)
    })
}
