import type { TransformSpec } from './contract/imaging-options.js';

/** What a transform does to a source of a given size: resize to `resize`, then crop (or let sharp pick, `smart`). */
export interface TransformPlan {
  /** The source resized to this size (aspect kept, except for `force`). */
  resize: { width: number; height: number };
  /** The part of the resized image kept; absent: all of it. */
  crop?: { left: number; top: number; width: number; height: number };
  /** The crop is chosen by sharp's attention strategy (`g:sm`), at `crop`'s size. */
  smart: boolean;
  /** The result's size. */
  width: number;
  height: number;
}

const clamp = (value: number, max: number) => Math.min(Math.max(0, Math.round(value)), max);

/**
 * imgproxy's resizing rules for a `width`×`height` source (as displayed): `fit` within the box, `fill` covers it and
 * crops, `fill-down` crops to the box's aspect ratio where the source is too small to fill it, `force` ignores the
 * aspect ratio, `auto` fills when source and box share an orientation and fits otherwise. A side of 0 follows the
 * other; without `enlarge` nothing grows past the source. The box and offsets are multiplied by `dpr`.
 */
export function planTransform(
  spec: TransformSpec,
  source: { width: number; height: number },
): TransformPlan {
  const { width: sw, height: sh } = source;
  const w = Math.round(spec.width * spec.dpr);
  const h = Math.round(spec.height * spec.dpr);
  let type = spec.resizingType;
  if (type === 'auto') type = w && h && sw >= sh === w >= h ? 'fill' : 'fit';
  const wr = w / sw;
  const hr = h / sh;
  let sx = 1;
  let sy = 1;
  if (w || h) {
    if (type === 'force') {
      sx = w ? wr : hr;
      sy = h ? hr : wr;
    } else {
      const both = type === 'fit' ? Math.min(wr, hr) : Math.max(wr, hr);
      sx = sy = w && h ? both : w ? wr : hr;
    }
  }
  if (!spec.enlarge) {
    sx = Math.min(sx, 1);
    sy = Math.min(sy, 1);
  }
  const rw = Math.max(1, Math.round(sw * sx));
  const rh = Math.max(1, Math.round(sh * sy));
  let cw = rw;
  let ch = rh;
  if (type === 'fill' || type === 'fill-down') {
    cw = w ? Math.min(w, rw) : rw;
    ch = h ? Math.min(h, rh) : rh;
    if (type === 'fill-down' && w && h && (w > rw || h > rh)) {
      const aspect = w / h;
      if (rw / rh > aspect) {
        ch = rh;
        cw = Math.max(1, Math.min(rw, Math.round(rh * aspect)));
      } else {
        cw = rw;
        ch = Math.max(1, Math.min(rh, Math.round(rw / aspect)));
      }
    }
  }
  const plan: TransformPlan = {
    resize: { width: rw, height: rh },
    smart: false,
    width: cw,
    height: ch,
  };
  if (cw === rw && ch === rh) return plan;
  const g = spec.gravity;
  if (g.type === 'sm')
    return { ...plan, smart: true, crop: { left: 0, top: 0, width: cw, height: ch } };
  let left: number;
  let top: number;
  if (g.type === 'fp') {
    left = g.x * rw - cw / 2;
    top = g.y * rh - ch / 2;
  } else {
    const dx = g.xOffset * spec.dpr;
    const dy = g.yOffset * spec.dpr;
    left = /we$/.test(g.type) ? dx : /ea$/.test(g.type) ? rw - cw - dx : (rw - cw) / 2 + dx;
    top = /^no/.test(g.type) ? dy : /^so/.test(g.type) ? rh - ch - dy : (rh - ch) / 2 + dy;
  }
  return {
    ...plan,
    crop: { left: clamp(left, rw - cw), top: clamp(top, rh - ch), width: cw, height: ch },
  };
}
