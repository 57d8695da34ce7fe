// Complex arithmetic on vec2<f32> (x = real, y = imaginary) and the small
// radix-2/3/4/5/7/8 DFTs used by every FFT kernel. Prepended to kernels that
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

const SQRT_HALF: f32 = 0.707106781186547524400844362105;
// sin(2 pi / 3)
const SIN_3_1: f32 = 0.866025403784438646763723170753;
// cos and sin of 2 pi k / 5, k = 1, 2
const COS_5_1: f32 = 0.309016994374947424102293417183;
const COS_5_2: f32 = -0.809016994374947424102293417183;
const SIN_5_1: f32 = 0.951056516295153572116439333379;
const SIN_5_2: f32 = 0.587785252292473129168705954639;
// cos and sin of 2 pi k / 7, k = 1, 2, 3
const COS_7_1: f32 = 0.623489801858733530525004884004;
const COS_7_2: f32 = -0.222520933956314404288902564497;
const COS_7_3: f32 = -0.900968867902419126236102319507;
const SIN_7_1: f32 = 0.781831482468029808708444526674;
const SIN_7_2: f32 = 0.974927912181823607018131682994;
const SIN_7_3: f32 = 0.433883739117558120475768332849;

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

// Odd radices: inputs x[k] and x[R - k] pair into sums a_k and differences
// b_k; output m is x0 + sum_k cos(2 pi k m / R) a_k plus (sign i) times
// sum_k sin(2 pi k m / R) b_k, and output R - m the same with minus.
fn dft3(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, sign: f32) {
    let x0 = (*r)[base];
    let a = (*r)[base + 1u] + (*r)[base + 2u];
    let b = rot90(((*r)[base + 1u] - (*r)[base + 2u]) * SIN_3_1, sign);
    let m = x0 - 0.5 * a;
    (*r)[base] = x0 + a;
    (*r)[base + 1u] = m + b;
    (*r)[base + 2u] = m - b;
}

fn dft5(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, sign: f32) {
    let x0 = (*r)[base];
    let a1 = (*r)[base + 1u] + (*r)[base + 4u];
    let b1 = (*r)[base + 1u] - (*r)[base + 4u];
    let a2 = (*r)[base + 2u] + (*r)[base + 3u];
    let b2 = (*r)[base + 2u] - (*r)[base + 3u];
    let r1 = x0 + COS_5_1 * a1 + COS_5_2 * a2;
    let r2 = x0 + COS_5_2 * a1 + COS_5_1 * a2;
    let i1 = rot90(SIN_5_1 * b1 + SIN_5_2 * b2, sign);
    let i2 = rot90(SIN_5_2 * b1 - SIN_5_1 * b2, sign);
    (*r)[base] = x0 + a1 + a2;
    (*r)[base + 1u] = r1 + i1;
    (*r)[base + 2u] = r2 + i2;
    (*r)[base + 3u] = r2 - i2;
    (*r)[base + 4u] = r1 - i1;
}

fn dft7(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, sign: f32) {
    let x0 = (*r)[base];
    let a1 = (*r)[base + 1u] + (*r)[base + 6u];
    let b1 = (*r)[base + 1u] - (*r)[base + 6u];
    let a2 = (*r)[base + 2u] + (*r)[base + 5u];
    let b2 = (*r)[base + 2u] - (*r)[base + 5u];
    let a3 = (*r)[base + 3u] + (*r)[base + 4u];
    let b3 = (*r)[base + 3u] - (*r)[base + 4u];
    let r1 = x0 + COS_7_1 * a1 + COS_7_2 * a2 + COS_7_3 * a3;
    let r2 = x0 + COS_7_2 * a1 + COS_7_3 * a2 + COS_7_1 * a3;
    let r3 = x0 + COS_7_3 * a1 + COS_7_1 * a2 + COS_7_2 * a3;
    let i1 = rot90(SIN_7_1 * b1 + SIN_7_2 * b2 + SIN_7_3 * b3, sign);
    let i2 = rot90(SIN_7_2 * b1 - SIN_7_3 * b2 - SIN_7_1 * b3, sign);
    let i3 = rot90(SIN_7_3 * b1 - SIN_7_1 * b2 + SIN_7_2 * b3, sign);
    (*r)[base] = x0 + a1 + a2 + a3;
    (*r)[base + 1u] = r1 + i1;
    (*r)[base + 2u] = r2 + i2;
    (*r)[base + 3u] = r3 + i3;
    (*r)[base + 4u] = r3 - i3;
    (*r)[base + 5u] = r2 - i2;
    (*r)[base + 6u] = r1 - i1;
}

// The DFT of `radix` (2, 3, 4, 5, 7 or 8) registers from `base`.
fn dft_radix(r: ptr<function, array<vec2<f32>, REGS>>, base: u32, radix: u32, sign: f32) {
    switch radix {
        case 8u: {
            dft8(r, base, sign);
        }
        case 4u: {
            dft4(r, base, sign);
        }
        case 2u: {
            dft2(r, base);
        }
        case 3u: {
            dft3(r, base, sign);
        }
        case 5u: {
            dft5(r, base, sign);
        }
        case 7u: {
            dft7(r, base, sign);
        }
        default: {}
    }
}
