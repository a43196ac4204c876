/**
 * Grow-only typed scratch buffers for the per-object kernels (distance transform, smoothing, peaks, watershed,
 * hole filling). Declumping calls them once per connected component on its bounding box — hundreds of small
 * boxes per image — where allocating fresh arrays every time cost more (allocation, zeroing, garbage
 * collection) than the arithmetic. Each buffer is owned by one kernel module and handed out as a view of the
 * requested length; contents are undefined unless the caller fills them. Node runs a module's code on one
 * thread, and no kernel calls itself, so one buffer per purpose is enough.
 */
type Ctor<T> = { new (n: number): T };

export class GrowBuffer<T extends Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array> {
  private buf: T;
  constructor(private readonly ctor: Ctor<T>) {
    this.buf = new ctor(0);
  }
  /** A view of `n` elements (contents undefined). */
  get(n: number): T {
    if (this.buf.length < n) this.buf = new this.ctor(Math.max(n, Math.ceil(this.buf.length * 1.5), 256));
    return this.buf.subarray(0, n) as T;
  }
  /** A view of `n` elements set to 0. */
  zeroed(n: number): T {
    const v = this.get(n);
    v.fill(0);
    return v;
  }
}
