/**
 * Fast convolution gradients for the tfjs wasm backend.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` kernel at all (a conv net cannot train on it
 * without this module) and its `Conv2DBackpropInput` is a plain scalar loop. Both gradients are
 * correlations, so each is rewritten here as one forward `Conv2D` (XNNPACK, SIMD) plus cheap layout
 * ops, and registered as the wasm kernel for that name; after `registerFastWasmConvGradients()` every
 * `tf.conv2d` (and `tf.fused.conv2d`) gradient on wasm takes the fast path.
 *
 * The kernels call the wasm backend's own kernel functions directly (the `kernelFunc` of the
 * registered wasm `Conv2D`, `BatchMatMul`, `Transpose`, `Reshape`, `Slice` configs), passing
 * TensorInfos and the backend object, the way the wasm backend composes its own kernels
 * internally. Nothing goes through the engine, so no engine tensors and no tape entries are made;
 * every intermediate TensorInfo is released with `backend.disposeData` before returning, and the
 * result is a fresh TensorInfo allocated by the wasm backend, which the engine then owns.
 *
 * Notation (NHWC, forward `y = conv2d(x, w, s, pad)`): x [N,H,W,Ci], w [kh,kw,Ci,Co],
 * dy [N,oH,oW,Co]; `top`/`left` are the forward pads exactly as tfjs computes them
 * (`backend_util.computeConv2DInfo`; 'same' puts the odd pad on the bottom/right).
 *
 * - dW[a,b,ci,co] = sum_{n,i,j} xpad[n, i*s+a, j*s+b, ci] * dy[n,i,j,co]
 *   = Conv2D(input = x^T [Ci,H,W,N], filter = dy^T [oH,oW,N,Co], stride 1, dilation s,
 *     explicit pads [top, bottom'] x [left, right']) -> [Ci, >=kh, >=kw, Co], cropped, transposed.
 *   For 1x1 kernels at stride 1 without padding it is one matmul x^T [Ci, N*H*W] x dy [N*H*W, Co]
 *   (2-3x faster than the conv route: no big operand packed as a conv filter).
 * - dx, sub-pixel form: for stride s, output rows of phase r = h mod s only meet the filter taps
 *   a with a = r + top (mod s), so every phase is a stride-1 correlation of dy itself with a subset
 *   of the (flipped) taps. One stride-1 Conv2D of dy (padded by ceil(k/s)-ish rows) with a combined
 *   filter [Lh, Lw, Co, sh*sw*Ci] computes all phases as channels; a reshape/transpose/reshape
 *   (depth-to-space) interleaves them, and a crop trims odd sizes. For stride 1 this is exactly the
 *   full correlation with the flipped, in/out-transposed filter. Compared with dilating dy with
 *   zeros (the design note's measured approach) there is no s*s larger dilated copy of dy, and the
 *   FLOPs are Lh*Lw/(kh*kw) of it (4/9 for a 3x3, stride-2 'same' conv on even sizes; equal when
 *   the phases' taps are misaligned, e.g. odd sizes). The combined filter is filter-sized and is
 *   built in JS from one read of w.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmSharingKernels } from './wasm-share.js';

type TensorInfo = tf.TensorInfo;
type Backend = tf.KernelBackend;
type Shape4 = [number, number, number, number];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

const WASM = 'wasm';
const FILTER = 'Conv2DBackpropFilter';
const INPUT = 'Conv2DBackpropInput';

/** The kernel configs that were registered for wasm before ours (undefined: none). */
let originals: { filter: tf.KernelConfig | undefined; input: tf.KernelConfig | undefined } | null = null;

// ---------------------------------------------------------------------------------------------
// Calling the wasm backend's own kernels

function callWasm(backend: Backend, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo {
  const config = tf.getKernel(kernelName, WASM);
  if (config == null) {
    throw new Error(`wasm-kernels: the wasm backend has no '${kernelName}' kernel to build on.`);
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    throw new Error(`wasm-kernels: '${kernelName}' returned several outputs, expected one.`);
  }
  return out;
}

/** Runs `f` with a list to push intermediates on; all of them are released afterwards. */
function withScratch<T>(backend: Backend, f: (keep: (t: TensorInfo) => TensorInfo) => T): T {
  const scratch: TensorInfo[] = [];
  try {
    return f((t) => {
      scratch.push(t);
      return t;
    });
  } finally {
    for (const t of scratch) backend.disposeData(t.dataId);
  }
}

const transpose = (b: Backend, x: TensorInfo, perm: number[]) => callWasm(b, 'Transpose', { x }, { perm });
const reshape = (b: Backend, x: TensorInfo, shape: number[]) => callWasm(b, 'Reshape', { x }, { shape });
const slice = (b: Backend, x: TensorInfo, begin: number[], size: number[]) => callWasm(b, 'Slice', { x }, { begin, size });

/** Forward NHWC Conv2D on wasm with explicit non-negative spatial pads. */
function conv(
  b: Backend,
  x: TensorInfo,
  filter: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): TensorInfo {
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [pads.top, pads.bottom],
    [pads.left, pads.right],
    [0, 0],
  ];
  return callWasm(b, 'Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations });
}

// ---------------------------------------------------------------------------------------------
// Shared attribute checks and conv geometry

function input(kernel: string, inputs: tf.NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`${kernel}: missing input '${name}'.`);
  if (t.shape.length !== 4) throw new Error(`${kernel}: input '${name}' must be rank 4, got [${t.shape.join(', ')}].`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' must be float32, got ${t.dtype}.`);
  return t;
}

function checkAttrs(kernel: string, attrs: tf.NamedAttrMap): void {
  const dataFormat = (attrs['dataFormat'] as string | undefined) ?? 'NHWC';
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm (resnet-tutor fast kernel) supports dataFormat 'NHWC' only, got '${dataFormat}'.`);
  }
  const dilations = attrs['dilations'] as number | number[] | undefined;
  if (dilations != null) {
    const d = typeof dilations === 'number' ? [dilations, dilations] : dilations;
    if (d.some((v) => v !== 1)) {
      throw new Error(`${kernel} on wasm (resnet-tutor fast kernel) supports dilations 1 only, got [${d.join(', ')}].`);
    }
  }
}

function convInfoOf(inputShape: Shape4, filterShape: Shape4, attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as Pad,
    (attrs['dimRoundingMode'] ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
}

// ---------------------------------------------------------------------------------------------
// dW

function conv2DBackpropFilterFast(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): TensorInfo {
  const { inputs, backend: b } = args;
  const attrs = args.attrs ?? {};
  checkAttrs(FILTER, attrs);
  const x = input(FILTER, inputs, 'x');
  const dy = input(FILTER, inputs, 'dy');
  const filterShape = attrs['filterShape'] as Shape4;
  const info = convInfoOf(x.shape as Shape4, filterShape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  if (dy.shape[0] !== n || dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== co) {
    throw new Error(`${FILTER}: dy shape [${dy.shape.join(', ')}] does not match the convolution's output [${info.outShape.join(', ')}].`);
  }

  return withScratch(b, (keep) => {
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
      // 1x1, stride 1, no padding: dW = x^T dy as one matmul [Ci, M] x [M, Co] (M = N*H*W). The
      // transpose is explicit because wasm's matmul is slow with a transposed operand.
      const m = n * h * w;
      const x2 = keep(reshape(b, x, [m, ci]));
      const xT = keep(transpose(b, x2, [1, 0]));
      const dy2 = keep(reshape(b, dy, [m, co]));
      const prod = keep(callWasm(b, 'BatchMatMul', { a: xT, b: dy2 }, { transposeA: false, transposeB: false }));
      return reshape(b, prod, [1, 1, ci, co]); // shares prod's data, which holds its own reference
    }
    // Channels become the batch, the batch becomes the channels.
    const xT = keep(transpose(b, x, [3, 1, 2, 0])); // [Ci, H, W, N]
    const dyT = keep(transpose(b, dy, [1, 2, 0, 3])); // [oH, oW, N, Co]
    // Rows needed: (oh-1)*sh + kh, starting `top` rows above x. Extra rows at the bottom of x
    // (forward slack) only make the correlation window larger; it is cropped below.
    const bottom = Math.max(0, (oh - 1) * sh + kh - h - top);
    const right = Math.max(0, (ow - 1) * sw + kw - w - left);
    let g = keep(conv(b, xT, dyT, { top, bottom, left, right }, [sh, sw])); // [Ci, >=kh, >=kw, Co]
    if (g.shape[1] !== kh || g.shape[2] !== kw) {
      g = keep(slice(b, g, [0, 0, 0, 0], [ci, kh, kw, co]));
    }
    return transpose(b, g, [1, 2, 0, 3]); // [kh, kw, Ci, Co]; fresh data owned by the backend
  });
}

// ---------------------------------------------------------------------------------------------
// dx

/**
 * Geometry of the input gradient along one spatial axis, for the sub-pixel form: output position
 * h = s*q + r (phase r in [0, s)) is a correlation over dy, with no zero dilation:
 *   dx[s*q + r] = sum_m dy[q + c_r - m] * w[e_r + s*m],   where r + top = s*c_r + e_r.
 * All phases share one correlation window t in [0, L) over dy rows q + t - P, so one stride-1
 * Conv2D with s*s*Ci output channels (phase-major) computes every phase at once; the phases are then
 * interleaved into rows by a reshape/transpose (depth-to-space).
 */
interface AxisPlan {
  /** Output rows per phase: ceil(size / s). */
  q: number;
  /** Correlation window length (filter taps of the combined filter). */
  taps: number;
  /** dy rows of zero padding before and after (may be negative: then dy is cropped). */
  padBefore: number;
  padAfter: number;
  /** tapOf[t][r]: the original filter tap used by window position t for phase r, or -1 for zero. */
  tapOf: number[][];
}

function planAxis(k: number, s: number, top: number, size: number, outSize: number): AxisPlan {
  const q = Math.ceil(size / s);
  const m = Math.ceil(k / s);
  const c = (r: number) => Math.floor((r + top) / s);
  const e = (r: number) => (r + top) % s;
  const cMin = c(0);
  const cMax = c(s - 1);
  const p = m - 1 - cMin;
  const taps = cMax - cMin + m;
  const tapOf: number[][] = [];
  for (let t = 0; t < taps; t++) {
    const row: number[] = [];
    for (let r = 0; r < s; r++) {
      const mm = c(r) + p - t;
      const a = e(r) + s * mm;
      row.push(mm >= 0 && a < k ? a : -1);
    }
    tapOf.push(row);
  }
  return { q, taps, padBefore: p, padAfter: q + taps - 1 - p - outSize, tapOf };
}

/**
 * The combined filter [Lh, Lw, Co, sh*sw*Ci] from w [kh, kw, Ci, Co]. It is the size of the filter
 * (not of the activations), so it is gathered on the JS side from one read of w.
 */
function subPixelFilter(
  b: Backend,
  filter: TensorInfo,
  rows: AxisPlan,
  cols: AxisPlan,
  sh: number,
  sw: number,
  kw: number,
  ci: number,
  co: number,
): TensorInfo {
  const w = b.readSync(filter.dataId) as Float32Array;
  const phases = sh * sw * ci;
  const out = new Float32Array(rows.taps * cols.taps * co * phases);
  // tapOf has `taps` rows of one entry per phase (sh for rows, sw for cols); see planAxis.
  for (const [th, rowTaps] of rows.tapOf.entries()) {
    for (const [tw, colTaps] of cols.tapOf.entries()) {
      const base = (th * cols.taps + tw) * co * phases;
      for (const [rh, a] of rowTaps.entries()) {
        if (a < 0) continue;
        for (const [rw, bb] of colTaps.entries()) {
          if (bb < 0) continue;
          const src = (a * kw + bb) * ci * co;
          const phase = (rh * sw + rw) * ci;
          for (let i = 0; i < ci; i++) {
            const srcRow = src + i * co;
            // a < kh, bb < kw, i < ci, o < co: inside the [kh, kw, ci, co] filter.
            for (let o = 0; o < co; o++) out[base + o * phases + phase + i] = w[srcRow + o]!;
          }
        }
      }
    }
  }
  const shape = [rows.taps, cols.taps, co, phases];
  return { dataId: b.write(out, shape, 'float32'), shape, dtype: 'float32' };
}

function conv2DBackpropInputFast(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): TensorInfo {
  const { inputs, backend: b } = args;
  const attrs = args.attrs ?? {};
  checkAttrs(INPUT, attrs);
  const dy = input(INPUT, inputs, 'dy');
  const filter = input(INPUT, inputs, 'filter');
  const inputShape = attrs['inputShape'] as Shape4;
  const info = convInfoOf(inputShape, filter.shape as Shape4, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  if (dy.shape[0] !== n || dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== co) {
    throw new Error(`${INPUT}: dy shape [${dy.shape.join(', ')}] does not match the convolution's output [${info.outShape.join(', ')}].`);
  }
  const rows = planAxis(kh, sh, top, h, oh);
  const cols = planAxis(kw, sw, left, w, ow);

  return withScratch(b, (keep) => {
    const f = keep(subPixelFilter(b, filter, rows, cols, sh, sw, kw, ci, co));
    // Negative pads (only with explicit pads at least as large as the kernel): crop dy instead.
    let d = dy;
    const [ct, cb, cl, cr] = [rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter].map((p) => Math.max(0, -p)) as [
      number,
      number,
      number,
      number,
    ];
    if (ct > 0 || cb > 0 || cl > 0 || cr > 0) {
      d = keep(slice(b, dy, [0, ct, cl, 0], [n, oh - ct - cb, ow - cl - cr, co]));
    }
    const pads = {
      top: Math.max(0, rows.padBefore),
      bottom: Math.max(0, rows.padAfter),
      left: Math.max(0, cols.padBefore),
      right: Math.max(0, cols.padAfter),
    };
    // [N, Qh, Qw, sh*sw*Ci], channels ordered (phase h, phase w, ci).
    let g = conv(b, d, f, pads, [1, 1]);
    if (sh > 1 || sw > 1) {
      keep(g);
      // depth-to-space: [N*Qh, Qw, sh, sw*Ci] -> [N*Qh, sh, Qw, sw*Ci] -> [N, Qh*sh, Qw*sw, Ci]
      const g4 = keep(reshape(b, g, [n * rows.q, cols.q, sh, sw * ci]));
      const t = keep(transpose(b, g4, [0, 2, 1, 3]));
      g = reshape(b, t, [n, rows.q * sh, cols.q * sw, ci]);
      if (rows.q * sh !== h || cols.q * sw !== w) {
        keep(g);
        g = slice(b, g, [0, 0, 0, 0], [n, h, w, ci]);
      }
    }
    if (g.shape[0] !== n || g.shape[1] !== h || g.shape[2] !== w || g.shape[3] !== ci) {
      b.disposeData(g.dataId);
      throw new Error(`${INPUT}: internal shape error, got [${g.shape.join(', ')}] for input [${inputShape.join(', ')}].`);
    }
    return g;
  });
}

// ---------------------------------------------------------------------------------------------
// Registration

const filterConfig: tf.KernelConfig = {
  kernelName: FILTER,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilterFast as unknown as tf.KernelFunc,
};
const inputConfig: tf.KernelConfig = {
  kernelName: INPUT,
  backendName: WASM,
  kernelFunc: conv2DBackpropInputFast as unknown as tf.KernelFunc,
};

function install(config: tf.KernelConfig): tf.KernelConfig | undefined {
  const existing = tf.getKernel(config.kernelName, WASM);
  if (existing?.kernelFunc === config.kernelFunc) return undefined;
  if (existing != null) tf.unregisterKernel(config.kernelName, WASM);
  tf.registerKernel(config);
  return existing;
}

/**
 * Registers the fast `Conv2DBackpropFilter` and `Conv2DBackpropInput` kernels for the 'wasm'
 * backend (replacing wasm's own slow `Conv2DBackpropInput`). Idempotent; can be called before or
 * after the wasm backend is initialised, and whatever the current backend is. Also registers the
 * zero-copy `Identity`/`Cast` of wasm-share.ts (every gradient-saved tensor goes through `Identity`),
 * which `unregisterFastWasmConvGradients` leaves in place.
 */
export function registerFastWasmConvGradients(): void {
  registerWasmSharingKernels();
  const filterBefore = tf.getKernel(FILTER, WASM);
  const inputBefore = tf.getKernel(INPUT, WASM);
  const hadOurs = filterBefore?.kernelFunc === filterConfig.kernelFunc && inputBefore?.kernelFunc === inputConfig.kernelFunc;
  if (hadOurs) return;
  const prevFilter = install(filterConfig);
  const prevInput = install(inputConfig);
  if (originals == null) originals = { filter: prevFilter, input: prevInput };
}

/** True when both fast kernels are the ones registered for wasm. */
export function fastWasmConvGradientsRegistered(): boolean {
  return (
    tf.getKernel(FILTER, WASM)?.kernelFunc === filterConfig.kernelFunc && tf.getKernel(INPUT, WASM)?.kernelFunc === inputConfig.kernelFunc
  );
}

/**
 * Puts back whatever was registered before `registerFastWasmConvGradients()` (wasm's slow
 * `Conv2DBackpropInput`, and no `Conv2DBackpropFilter`). For benchmarks and tests.
 */
export function unregisterFastWasmConvGradients(): void {
  if (originals == null) return;
  for (const [ours, orig] of [
    [filterConfig, originals.filter],
    [inputConfig, originals.input],
  ] as const) {
    if (tf.getKernel(ours.kernelName, WASM)?.kernelFunc === ours.kernelFunc) {
      tf.unregisterKernel(ours.kernelName, WASM);
      if (orig != null) {
        tf.registerKernel(orig);
        // A kernel's setupFunc (wasm's cwrap of its C++ function) runs only for the kernels
        // registered when the backend initialises. If ours replaced the original before that,
        // the original was never set up: do it now (running it twice is harmless).
        const backend = tf.findBackend(WASM);
        if (backend != null && orig.setupFunc != null) orig.setupFunc(backend);
      }
    }
  }
  originals = null;
}
