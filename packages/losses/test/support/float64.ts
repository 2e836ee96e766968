/**
 * Plain-JavaScript (float64) re-implementations of the losses, written straight from their textbook
 * definitions (not from the tensor code), plus a central finite-difference gradient. Tests compare the
 * float32 tensor results and tape gradients against these.
 */

export type Box = [number, number, number, number];

/** Logistic sigmoid. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** `-alpha_t (1 - p_t)^gamma log(p_t)` for one logit and a 0/1 target, from the definition. */
export function focal(logit: number, target: number, alpha: number, gamma: number): number {
  const p = sigmoid(logit);
  const pt = target === 1 ? p : 1 - p;
  const alphaT = target === 1 ? alpha : 1 - alpha;
  return -alphaT * Math.pow(1 - pt, gamma) * Math.log(pt);
}

/** PyTorch smooth L1 on one difference. */
export function smoothL1(x: number, beta: number): number {
  const a = Math.abs(x);
  if (beta === 0) return a;
  return a < beta ? (0.5 * a * a) / beta : a - 0.5 * beta;
}

/** Keras Huber on one difference. */
export function huber(x: number, delta: number): number {
  const a = Math.abs(x);
  return a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
}

/** The pieces of the IoU family for one box pair, `[x1, y1, x2, y2]` each. */
export function iouTerms(p: Box, t: Box, eps = 1e-7) {
  const [px1, py1, px2, py2] = p;
  const [tx1, ty1, tx2, ty2] = t;
  const pw = px2 - px1;
  const ph = py2 - py1;
  const tw = tx2 - tx1;
  const th = ty2 - ty1;
  const iw = Math.max(0, Math.min(px2, tx2) - Math.max(px1, tx1));
  const ih = Math.max(0, Math.min(py2, ty2) - Math.max(py1, ty1));
  const inter = iw * ih;
  const union = pw * ph + tw * th - inter;
  const iou = inter / (union + eps);
  const cw = Math.max(px2, tx2) - Math.min(px1, tx1);
  const ch = Math.max(py2, ty2) - Math.min(py1, ty1);
  const giou = iou - (cw * ch - union) / (cw * ch + eps);
  const rho2 = ((px1 + px2) / 2 - (tx1 + tx2) / 2) ** 2 + ((py1 + py2) / 2 - (ty1 + ty2) / 2) ** 2;
  const diou = iou - rho2 / (cw * cw + ch * ch + eps);
  const v = (4 / Math.PI ** 2) * (Math.atan(tw / (th + eps)) - Math.atan(pw / (ph + eps))) ** 2;
  const alpha = v / (1 - iou + v + eps);
  return { iou, giou, diou, v, alpha, ciou: diou - alpha * v };
}

/** `1 - metric` for one box pair; for CIoU, `frozenAlpha` (when given) replaces alpha, as the gradient sees it. */
export function iouFamily(kind: 'iou' | 'giou' | 'diou' | 'ciou', p: Box, t: Box, frozenAlpha?: number): number {
  const terms = iouTerms(p, t);
  if (kind !== 'ciou') return 1 - terms[kind];
  return 1 - (terms.diou - (frozenAlpha ?? terms.alpha) * terms.v);
}

/** Central finite-difference gradient of `f` at `x`, step `h`. */
export function numericGradient(f: (x: number[]) => number, x: readonly number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** A small seeded generator (mulberry32), so "random" test points are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
