// Complex arithmetic on vec2<f32> (x = real, y = imaginary) and the small
// radix-2/4/8 DFTs used by every FFT kernel. Prepended to kernels that
// declare `// use common/complex.wgsl`.

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// Multiplies by exp(sign * i * pi / 2) = sign * i.
fn rot90(a: vec2<f32>, sign: f32) -> vec2<f32> {
    return vec2<f32>(-sign * a.y, sign * a.x);
}

// A forward-table twiddle (cos, -sin) turned into exp(sign * i * theta).
fn twiddle_dir(t: vec2<f32>, sign: f32) -> vec2<f32> {
    return vec2<f32>(t.x, -sign * t.y);
}

const REGS: u32 = 16u;
const SQRT_HALF: f32 = 0.70710678118654752;

// In-register DFTs of r[base .. base + R], sign -1 forward, +1 inverse.
fn dft2(r: ptr<function, array<vec2<f32>, REGS>>, base: u32) {
    let a = (*r)[base];
    let b = (*r)[base + 1u];
    (*r)[base] = a + b;
    (*r)[base + 1u] = a - b;
}

fn dft4(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, sign: f32) {
    let t0 = (*r)[base] + (*r)[base + 2u];
    let t1 = (*r)[base] - (*r)[base + 2u];
    let t2 = (*r)[base + 1u] + (*r)[base + 3u];
    let t3 = rot90((*r)[base + 1u] - (*r)[base + 3u], sign);
    (*r)[base] = t0 + t2;
    (*r)[base + 1u] = t1 + t3;
    (*r)[base + 2u] = t0 - t2;
    (*r)[base + 3u] = t1 - t3;
}

fn dft8(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, sign: f32) {
    // Even and odd halves as two radix-4 DFTs, then one radix-2 combine.
    let e0 = (*r)[base] + (*r)[base + 4u];
    let e1 = (*r)[base] - (*r)[base + 4u];
    let e2 = (*r)[base + 2u] + (*r)[base + 6u];
    let e3 = rot90((*r)[base + 2u] - (*r)[base + 6u], sign);
    let o0 = (*r)[base + 1u] + (*r)[base + 5u];
    let o1 = (*r)[base + 1u] - (*r)[base + 5u];
    let o2 = (*r)[base + 3u] + (*r)[base + 7u];
    let o3 = rot90((*r)[base + 3u] - (*r)[base + 7u], sign);
    let ev0 = e0 + e2;
    let ev1 = e1 + e3;
    let ev2 = e0 - e2;
    let ev3 = e1 - e3;
    let od0 = o0 + o2;
    // W8^1, W8^2, W8^3 in direction `sign`.
    let od1 = cmul(o1 + o3, vec2<f32>(SQRT_HALF, sign * SQRT_HALF));
    let od2 = rot90(o0 - o2, sign);
    let od3 = cmul(o1 - o3, vec2<f32>(-SQRT_HALF, sign * SQRT_HALF));
    (*r)[base] = ev0 + od0;
    (*r)[base + 1u] = ev1 + od1;
    (*r)[base + 2u] = ev2 + od2;
    (*r)[base + 3u] = ev3 + od3;
    (*r)[base + 4u] = ev0 - od0;
    (*r)[base + 5u] = ev1 - od1;
    (*r)[base + 6u] = ev2 - od2;
    (*r)[base + 7u] = ev3 - od3;
}

fn dft_radix(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, radix: u32, sign: f32) {
    if radix == 8u {
        dft8(r, base, sign);
    } else if radix == 4u {
        dft4(r, base, sign);
    } else {
        dft2(r, base);
    }
}
