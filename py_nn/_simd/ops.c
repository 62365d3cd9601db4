/* py_nn/_simd/ops.c: the small fused passes of a training step, next to sgemm.c in the same
 * WebAssembly side module (tools/wasm_kernel.py links both into py_nn/_simd/sgemm.wasm).
 *
 * Each replaces several NumPy calls over a small array by one call (under Pyodide a NumPy
 * call costs 2-4 us of Python before any work, and NumPy there has no SIMD). py_nn.fastpath
 * calls them with cached addresses and has a NumPy version of each (same results within
 * float32 rounding). All arrays are C-contiguous float32 (labels int32, wasm32's intp):
 *
 *   pynn_bias_relu(z, b, rows, cols)         z = max(z + b, 0)            z (rows, cols), b (cols,)
 *   pynn_bias_rowmax(z, b, rows, cols)       z = z + b - rowmax(z + b)     (softmax, before exp)
 *   pynn_softmax_xent(p, labels, rows, cols, scale, eps, delta, picked) -> correct
 *       on p = exp(...) (rows, cols): p /= rowsum(p); delta = scale * (p - onehot(labels));
 *       picked[r] = p[r, labels[r]] + eps; returns how many rows have argmax(p) == label
 *   pynn_relu_mask(d, a, n)                  d = d * (a > 0)               (n floats each)
 *   pynn_colsum(d, rows, cols, alpha, beta, v)   v = beta * v + alpha * sum over rows of d
 *   pynn_add_finite(p, v, out, n) -> ok      out = p + v; 1 if every out is finite, else 0
 *
 * Freestanding like sgemm.c: no libc (exp and log stay in NumPy), no heap, no static data.
 */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void pynn_bias_relu(float *z, const float *b, int rows, int cols) {
    v128_t zero = wasm_f32x4_splat(0.0f);
    for (int r = 0; r < rows; r++, z += cols) {
        int c = 0;
        for (; c + 4 <= cols; c += 4) {   /* f32x4.max propagates NaN, like np.maximum */
            v128_t x = wasm_f32x4_add(wasm_v128_load(z + c), wasm_v128_load(b + c));
            wasm_v128_store(z + c, wasm_f32x4_max(x, zero));
        }
        for (; c < cols; c++) {
            float x = z[c] + b[c];
            z[c] = x != x ? x : x > 0.0f ? x : 0.0f;
        }
    }
}

EXPORT void pynn_bias_rowmax(float *z, const float *b, int rows, int cols) {
    for (int r = 0; r < rows; r++, z += cols) {
        float m = z[0] + b[0];
        for (int c = 0; c < cols; c++) {
            float x = z[c] + b[c];
            z[c] = x;
            if (x > m || x != x) m = x;
        }
        for (int c = 0; c < cols; c++) z[c] -= m;
    }
}

EXPORT int pynn_softmax_xent(float *p, const int *labels, int rows, int cols, float scale,
                             float eps, float *delta, float *picked) {
    int correct = 0;
    for (int r = 0; r < rows; r++, p += cols, delta += cols) {
        float s = 0.0f;
        for (int c = 0; c < cols; c++) s += p[c];
        int best = 0, label = labels[r];
        for (int c = 0; c < cols; c++) {
            float q = p[c] / s;
            p[c] = q;
            delta[c] = scale * (c == label ? q - 1.0f : q);
            if (q > p[best]) best = c;
        }
        picked[r] = (label >= 0 && label < cols ? p[label] : 0.0f) + eps;
        correct += best == label;
    }
    return correct;
}

EXPORT void pynn_relu_mask(float *d, const float *a, int n) {
    v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {          /* times 1 or 0 (not a select): NaN stays NaN */
        v128_t keep = wasm_v128_and(wasm_f32x4_gt(wasm_v128_load(a + i), zero), one);
        wasm_v128_store(d + i, wasm_f32x4_mul(wasm_v128_load(d + i), keep));
    }
    for (; i < n; i++) d[i] *= a[i] > 0.0f ? 1.0f : 0.0f;
}

EXPORT void pynn_colsum(const float *d, int rows, int cols, float alpha, float beta, float *v) {
    v128_t va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(beta);
    int c = 0;
    for (; c + 4 <= cols; c += 4) {
        v128_t s = wasm_f32x4_splat(0.0f);
        for (int r = 0; r < rows; r++) s = wasm_f32x4_add(s, wasm_v128_load(d + r * cols + c));
        v128_t x = wasm_f32x4_mul(va, s);
        if (beta != 0.0f) x = wasm_f32x4_add(x, wasm_f32x4_mul(vb, wasm_v128_load(v + c)));
        wasm_v128_store(v + c, x);
    }
    for (; c < cols; c++) {
        float s = 0.0f;
        for (int r = 0; r < rows; r++) s += d[r * cols + c];
        v[c] = alpha * s + (beta != 0.0f ? beta * v[c] : 0.0f);
    }
}

EXPORT int pynn_add_finite(const float *p, const float *v, float *out, int n) {
    /* x - x is 0 for a finite x and NaN for inf or NaN: a NaN in the running sum says
     * some element was not finite (one extra add per element, no branch). */
    v128_t bad = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v128_t x = wasm_f32x4_add(wasm_v128_load(p + i), wasm_v128_load(v + i));
        wasm_v128_store(out + i, x);
        bad = wasm_f32x4_add(bad, wasm_f32x4_sub(x, x));
    }
    float tail = 0.0f;
    for (; i < n; i++) {
        float x = p[i] + v[i];
        out[i] = x;
        tail += x - x;
    }
    float sum = wasm_f32x4_extract_lane(bad, 0) + wasm_f32x4_extract_lane(bad, 1)
                + wasm_f32x4_extract_lane(bad, 2) + wasm_f32x4_extract_lane(bad, 3) + tail;
    return sum == 0.0f;
}
