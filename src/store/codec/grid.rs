//! The 3-D view that the block-transform and prediction codecs work on: a
//! tensor's last two axes kept, every axis before them folded into one
//! (`[n]` is `[1, 1, n]`, `[r, c]` is `[1, r, c]`, a scalar `[1, 1, 1]`).

/// `[planes, rows, cols]` of `shape`.
pub fn view(shape: &[usize]) -> [usize; 3] {
    match shape.len() {
        0 => [1, 1, 1],
        1 => [1, 1, shape[0]],
        2 => [1, shape[0], shape[1]],
        k => [shape[..k - 2].iter().product(), shape[k - 2], shape[k - 1]],
    }
}

/// Axes of the view longer than one (1 to 3; 1 for a scalar).
pub fn active_axes(v: [usize; 3]) -> usize {
    v.iter().filter(|&&d| d > 1).count().max(1)
}
