/* py_nn/_simd/sgemm.c: the WebAssembly SIMD (simd128) float32 matrix product behind
 * py_nn.kernels' "simd" kernel. tools/wasm_kernel.py compiles it into py_nn/_simd/sgemm.wasm,
 * an Emscripten side module (dylink.0) that Pyodide loads with ctypes.CDLL and that works
 * directly on NumPy's buffers in Pyodide's memory.
 *
 * One entry point, BLAS-like, on row-major float32 matrices:
 *
 *     C = alpha * op(A) @ op(B) + beta * C          (beta == 0: C is only written)
 *
 *     trans 0 (NN): A (m, k) row stride lda, B (k, n) row stride ldb      C = A @ B
 *     trans 1 (TN): A (k, m) row stride lda, B (k, n) row stride ldb      C = A.T @ B
 *     trans 2 (NT): A (m, k) row stride lda, B (n, k) row stride ldb      C = A @ B.T
 *
 * C is (m, n) with row stride ldc. Strides count floats; each row must be contiguous.
 * work is caller-owned scratch of at least PYNN_SGEMM_WORK floats (the module has no heap).
 *
 * How: for each panel of NR = 16 columns of C, copy the matching (kc, 16) slice of op(B)
 * into work (zero-padded past n, so every load is a full vector), then sweep MR = 2 rows of C
 * at a time with a 2 x 16 register tile: per k, one broadcast of A per row and four vector
 * loads of the panel feed 8 vector multiplies and 8 adds (simd128 has no fused multiply-add;
 * the relaxed-simd build uses relaxed_madd, see MADD).
 * Eight accumulators: tiles with more measured 30-40% slower in Node 20's V8 (register
 * spills), and so did unrolling the k loop; 2 x 16 and 4 x 8 tie there, and 2 x 16 is 5-10%
 * faster in Chromium 156 (and wastes less on a single row). Freestanding: no libc, no heap,
 * no static data.
 */
#include <wasm_simd128.h>

#define MR 2                     /* rows of C per register tile */
#define NV 4                     /* f32x4 vectors per row of the tile */
#define NR (4 * NV)              /* columns of C per panel */
#define KC 1024                  /* rows of op(B) per packed panel */
#define PYNN_SGEMM_WORK (KC * NR)

typedef __SIZE_TYPE__ size_t;    /* offsets: 32-bit unsigned, like wasm32 addresses */

/* acc + x * b. Built with -mrelaxed-simd (tools/wasm_kernel.py's second variant,
 * sgemm-relaxed.wasm), one f32x4.relaxed_madd: a fused multiply-add where the CPU has one
 * (about 25% faster in V8; rounded once instead of twice). Otherwise a multiply and an add. */
#ifdef __wasm_relaxed_simd__
#define MADD(x, b, acc) wasm_f32x4_relaxed_madd((x), (b), (acc))
#else
#define MADD(x, b, acc) wasm_f32x4_add((acc), wasm_f32x4_mul((x), (b)))
#endif

/* Loops over the MR rows and NV vectors of a tile are unrolled fully, so that the tile's
 * arrays live in registers (a loop left rolled puts them in memory: 40% slower). */
#define UNROLLED _Pragma("clang loop unroll(full)")

/* Copy op(B)[k0:k0+kc, j0:j0+nr] into panel (kc, NR), zero past nr. */
static void pack(float *panel, int trans, const float *b, size_t ldb, int k0, int kc,
                 int j0, int nr) {
    float *p = panel;
    if (trans != 2) {                     /* op(B) = B (k, n): rows are contiguous */
        const float *src = b + k0 * ldb + j0;
        if (nr == NR) {
            for (int k = 0; k < kc; k++, src += ldb, p += NR)
                UNROLLED for (int v = 0; v < NV; v++)
                    wasm_v128_store(p + 4 * v, wasm_v128_load(src + 4 * v));
        } else {
            for (int k = 0; k < kc; k++, src += ldb, p += NR) {
                int j = 0;
                for (; j < nr; j++) p[j] = src[j];
                for (; j < NR; j++) p[j] = 0.0f;
            }
        }
    } else {                              /* op(B) = B.T, B (n, k): gather columns */
        for (int j = 0; j < NR; j++) {
            if (j < nr) {
                const float *src = b + (j0 + j) * ldb + k0;
                for (int k = 0; k < kc; k++) p[k * NR + j] = src[k];
            } else {
                for (int k = 0; k < kc; k++) p[k * NR + j] = 0.0f;
            }
        }
    }
}

/* Store the first n (0..4) lanes of v at c. */
static inline void store_lanes(float *c, v128_t v, int n) {
    switch (n) {
    case 4: wasm_v128_store(c, v); break;
    case 3: wasm_v128_store64_lane(c, v, 0); wasm_v128_store32_lane(c + 2, v, 2); break;
    case 2: wasm_v128_store64_lane(c, v, 0); break;
    case 1: wasm_v128_store32_lane(c, v, 0); break;
    default: break;
    }
}

/* Load the first n (0..4) lanes at c, zero elsewhere (never reads past c[n - 1]). */
static inline v128_t load_lanes(const float *c, int n) {
    switch (n) {
    case 4: return wasm_v128_load(c);
    case 3: return wasm_v128_load32_lane(c + 2, wasm_v128_load64_zero(c), 2);
    case 2: return wasm_v128_load64_zero(c);
    case 1: return wasm_v128_load32_zero(c);
    default: return wasm_f32x4_splat(0.0f);
    }
}

/* C[r, 0:nr] = alpha * acc + beta * C[r, 0:nr] for one row of the tile. */
static inline void finish_row(float *c, const v128_t *acc, int nr, float alpha, float beta) {
    UNROLLED for (int v = 0; v < NV; v++) {
        int n = nr - 4 * v;
        n = n < 0 ? 0 : n > 4 ? 4 : n;
        v128_t x = acc[v];
        x = wasm_f32x4_mul(x, wasm_f32x4_splat(alpha));
        if (beta != 0.0f)
            x = wasm_f32x4_add(x, wasm_f32x4_mul(wasm_f32x4_splat(beta), load_lanes(c + 4 * v, n)));
        store_lanes(c + 4 * v, x, n);
    }
}

/* The MR x NR tile: C[0:mr, 0:nr] = alpha * sum_k a(r, k) * p[k * ps + 0:NR] + beta * C.
 * a(r, k) = a[r * rs + k * cs]; rows past mr repeat row mr - 1 and are not stored.
 * Always inlined into callers where rs or cs is the constant 1 and, in the main loop,
 * mr == MR, so that the address arithmetic folds. */
static inline __attribute__((always_inline))
void tile(int mr, int kc, const float *a, size_t rs, size_t cs, const float *p, size_t ps,
          float *c, size_t ldc, int nr, float alpha, float beta) {
    size_t off[MR];                       /* one moving pointer, constant row offsets */
    v128_t acc[MR][NV];
    UNROLLED for (int r = 0; r < MR; r++) {
        off[r] = (r < mr ? r : mr - 1) * rs;
        UNROLLED for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    }
#pragma clang loop unroll(disable)
    for (int k = 0; k < kc; k++) {
        v128_t bv[NV];
        UNROLLED for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(p + 4 * v);
        UNROLLED for (int r = 0; r < MR; r++) {
            v128_t x = wasm_v128_load32_splat(a + off[r]);
            UNROLLED for (int v = 0; v < NV; v++)
                acc[r][v] = MADD(x, bv[v], acc[r][v]);
        }
        a += cs;
        p += ps;
    }
    UNROLLED for (int r = 0; r < MR; r++)
        if (r < mr) finish_row(c + r * ldc, acc[r], nr, alpha, beta);
}

/* Every tile of one column panel: C[0:m, 0:nr] = alpha * op(A)[0:m, 0:kc] @ p + beta * C,
 * p (kc, NR) with row stride ps (the packed panel, or B itself).
 * panel_rows: rows of op(A) are contiguous (NN, NT); panel_cols: its columns are (TN). */
static void panel_rows(int m, int kc, const float *a, size_t lda, const float *p, size_t ps,
                       float *c, size_t ldc, int nr, float alpha, float beta) {
    int i0 = 0;
    for (; i0 + MR <= m; i0 += MR)
        tile(MR, kc, a + i0 * lda, lda, 1, p, ps, c + i0 * ldc, ldc, nr, alpha, beta);
    if (i0 < m) tile(m - i0, kc, a + i0 * lda, lda, 1, p, ps, c + i0 * ldc, ldc, nr, alpha, beta);
}

static void panel_cols(int m, int kc, const float *a, size_t lda, const float *p, size_t ps,
                       float *c, size_t ldc, int nr, float alpha, float beta) {
    int i0 = 0;
    for (; i0 + MR <= m; i0 += MR)
        tile(MR, kc, a + i0, 1, lda, p, ps, c + i0 * ldc, ldc, nr, alpha, beta);
    if (i0 < m) tile(m - i0, kc, a + i0, 1, lda, p, ps, c + i0 * ldc, ldc, nr, alpha, beta);
}

/* Floats of scratch that pynn_sgemm needs in work. */
__attribute__((visibility("default")))
int pynn_sgemm_work_size(void) { return PYNN_SGEMM_WORK; }

/* See the top of the file. Returns 0, or -1 for an unknown trans or negative sizes. */
__attribute__((visibility("default")))
int pynn_sgemm(int trans, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc, float *work) {
    if (trans < 0 || trans > 2 || m < 0 || n < 0 || k < 0 || lda < 0 || ldb < 0 || ldc < 0)
        return -1;
    if (k == 0) {                         /* empty sum: C = beta * C */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float *cij = c + (size_t)i * ldc + j;
                *cij = beta == 0.0f ? 0.0f : beta * *cij;
            }
        return 0;
    }
    for (int j0 = 0; j0 < n; j0 += NR) {
        int nr = n - j0 < NR ? n - j0 : NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = k - k0 < KC ? k - k0 : KC;
            float beta_k = k0 == 0 ? beta : 1.0f;   /* later slices of k accumulate */
            /* A single row tile uses each panel once: then read B in place (no copy). */
            const float *p = work;
            size_t ps = NR;
            if (m <= MR && trans != 2 && nr == NR) {
                p = b + (size_t)k0 * ldb + j0;
                ps = (size_t)ldb;
            } else {
                pack(work, trans, b, (size_t)ldb, k0, kc, j0, nr);
            }
            if (trans == 1)
                panel_cols(m, kc, a + (size_t)k0 * lda, (size_t)lda, p, ps, c + j0,
                           (size_t)ldc, nr, alpha, beta_k);
            else
                panel_rows(m, kc, a + k0, (size_t)lda, p, ps, c + j0, (size_t)ldc, nr,
                           alpha, beta_k);
        }
    }
    return 0;
}
