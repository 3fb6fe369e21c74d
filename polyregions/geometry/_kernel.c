/* polyregions.geometry._kernel: the compiled exact kernel of Cell.cut and Cell.pruned.
 *
 * The same algorithm as the pure-Python kernel in polyhedron.py (the reference),
 * with GMP integers and a floating-point sign filter:
 *
 * - the generators of a cell are kept packed for GMP (see "packed exact generators"
 *   below), and Python integers are made from them only when Cell.vecs is read;
 * - every generator carries a float image (one double per coordinate, scaled by a
 *   power of two so that the largest is below 1 in magnitude), kept in a bytes
 *   object beside the cell's generators;
 * - the sign of h . v is taken from the image when the float dot product exceeds a
 *   proven bound on its error, and from the exact GMP dot product otherwise;
 * - exact values are computed only where they are needed: for the generators that
 *   make new generators in a proper cut, and where the filter does not settle a sign.
 *
 * Error analysis (u = 2^-53, w = len(h), IEEE double arithmetic with rounding to
 * nearest, any order of evaluation, with or without fused multiply-add).
 * For an integer vector v let E = max_k bitlength(v_k) and x_k = v_k 2^-E, so
 * |x_k| < 1. Its image is x^_k = ldexp(d_k, e_k - E) where mpz_get_d_2exp gives
 * d_k 2^e_k, v_k truncated to 53 significant bits: |d_k 2^e_k - v_k| < 2^(e_k - 53),
 * hence after scaling |x^_k - x_k| < 2^-53, plus at most 2^-1075 when the result is
 * subnormal; so |x^_k - x_k| <= delta = 2^-53 + 2^-1074 and |x^_k| <= 1. The same
 * holds for the image h^ of h (scaled by 2^-F). Let s = sum_k h_k x_k 2^-F (the
 * exact value h . v times the positive factor 2^-(E+F)).
 * (1) Inputs: |sum h^_k x^_k - s| <= sum |h^_k| |x^_k - x_k| + sum |x_k| |h^_k - h_k 2^-F|
 *     <= 2 w delta.
 * (2) Evaluation: the computed s^ satisfies |s^ - sum h^_k x^_k| <= gamma_w sum |h^_k x^_k|
 *     + w 2^-1075 (underflow of the products; sums of doubles underflow exactly), with
 *     gamma_w = w u / (1 - w u) <= 2 w u for w u <= 1/2; sum |h^_k x^_k| <= w.
 * Together |s^ - s| <= 2 w delta + 2 w^2 u + w 2^-1075 < w (2 + w) 2^-52 = BOUND(w)
 * (the slack w 2^-52 - 2 w 2^-1074 - w 2^-1075 is positive). So s^ > BOUND implies
 * s > 0 and s^ < -BOUND implies s < 0; otherwise the exact integer decides. Nothing
 * depends on the bound being tight, and no overflow is possible (every |term| <= 1).
 * w is at most 1,001 (input dimension 1,000), far below the 2^51 where w u <= 1/2
 * would fail.
 *
 * Python integers go to GMP and back through their two's-complement bytes
 * (_PyLong_AsByteArray/_PyLong_FromByteArray, or the public PyLong_AsNativeBytes/
 * PyLong_FromNativeBytes from Python 3.13 on).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <gmp.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- counters (read by the tests) ------------------------------------------------ */

static unsigned long long n_filter = 0;   /* signs settled by the float filter */
static unsigned long long n_exact = 0;    /* signs the filter left to the exact value */
static unsigned long long n_values = 0;   /* exact values computed (fallbacks and proper cuts) */

/* ---- scratch: a pool of mpz_t reused across calls (the GIL serialises calls) ---- */

static mpz_t *pool = NULL;
static Py_ssize_t pool_size = 0;

static int pool_reserve(Py_ssize_t n) {
    if (n <= pool_size) return 0;
    Py_ssize_t size = pool_size ? pool_size : 64;
    while (size < n) size *= 2;
    mpz_t *grown = (mpz_t *)PyMem_Realloc(pool, (size_t)size * sizeof(mpz_t));
    if (!grown) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t k = pool_size; k < size; k++) mpz_init(grown[k]);
    pool = grown;
    pool_size = size;
    return 0;
}

static unsigned char *scratch_bytes = NULL;
static size_t scratch_bytes_size = 0;

static unsigned char *bytes_reserve(size_t n) {
    if (n > scratch_bytes_size) {
        size_t size = scratch_bytes_size ? scratch_bytes_size : 256;
        while (size < n) size *= 2;
        unsigned char *grown = (unsigned char *)PyMem_Realloc(scratch_bytes, size);
        if (!grown) { PyErr_NoMemory(); return NULL; }
        scratch_bytes = grown;
        scratch_bytes_size = size;
    }
    return scratch_bytes;
}

/* ---- Python int <-> mpz ------------------------------------------------------------ */

/* Two's complement little-endian bytes <-> GMP go through 64-bit words (the byte
 * buffer is read as words, so this needs a little-endian host; elsewhere bytes). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_BYTES 8
#else
#define WORD_BYTES 1
#endif

static void negate_bytes(unsigned char *buf, size_t nbytes) {
#if WORD_BYTES == 8
    uint64_t *words = (uint64_t *)buf;
    unsigned carry = 1;
    for (size_t k = 0; k < nbytes / 8; k++) {
        uint64_t v = ~words[k];
        words[k] = v + carry;
        carry = carry && words[k] == 0;
    }
#else
    unsigned carry = 1;
    for (size_t k = 0; k < nbytes; k++) {
        unsigned v = (unsigned)(unsigned char)~buf[k] + carry;
        buf[k] = (unsigned char)v;
        carry = v >> 8;
    }
#endif
}

static int long_to_mpz(mpz_t z, PyObject *o) {
    if (!PyLong_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "expected an int");
        return -1;
    }
    int overflow;
    long long small = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) {
        if (small == -1 && PyErr_Occurred()) return -1;
        if (small >= LONG_MIN && small <= LONG_MAX) {
            mpz_set_si(z, (long)small);
            return 0;
        }
    }
    /* two's complement, little-endian, with room for the sign bit, whole words */
    size_t nbits;
#if PY_VERSION_HEX >= 0x030D0000
    Py_ssize_t need = PyLong_AsNativeBytes(o, NULL, 0, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
    if (need < 0) return -1;
    nbits = (size_t)need * 8;
#else
    nbits = _PyLong_NumBits(o);
    if (nbits == (size_t)-1 && PyErr_Occurred()) return -1;
#endif
    size_t nbytes = (nbits / 8 + 1 + WORD_BYTES - 1) / WORD_BYTES * WORD_BYTES;
    unsigned char *buf = bytes_reserve(nbytes);
    if (!buf) return -1;
#if PY_VERSION_HEX >= 0x030D0000
    if (PyLong_AsNativeBytes(o, buf, (Py_ssize_t)nbytes, Py_ASNATIVEBYTES_LITTLE_ENDIAN) < 0) return -1;
#else
    if (_PyLong_AsByteArray((PyLongObject *)o, buf, nbytes, 1, 1) < 0) return -1;
#endif
    int negative = buf[nbytes - 1] & 0x80;
    if (negative) negate_bytes(buf, nbytes);  /* the magnitude */
    mpz_import(z, nbytes / WORD_BYTES, -1, WORD_BYTES, -1, 0, buf);
    if (negative) mpz_neg(z, z);
    return 0;
}

static PyObject *mpz_to_long(const mpz_t z) {
    if (mpz_fits_slong_p(z)) return PyLong_FromLong(mpz_get_si(z));
    /* room for the sign bit, whole words */
    size_t nbytes = (mpz_sizeinbase(z, 2) / 8 + 1 + WORD_BYTES - 1) / WORD_BYTES * WORD_BYTES;
    unsigned char *buf = bytes_reserve(nbytes);
    if (!buf) return NULL;
    size_t count = 0;
    mpz_export(buf, &count, -1, WORD_BYTES, -1, 0, z);
    memset(buf + count * WORD_BYTES, 0, nbytes - count * WORD_BYTES);
    if (mpz_sgn(z) < 0) negate_bytes(buf, nbytes);
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromNativeBytes(buf, nbytes, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
#else
    return _PyLong_FromByteArray(buf, nbytes, 1, 1);
#endif
}

/* ---- bitmasks (Python int, nonnegative) <-> words ------------------------------------ */

static int long_to_words(PyObject *o, uint64_t *words, Py_ssize_t nw) {
    if (nw == 1) {
        unsigned long long v = PyLong_AsUnsignedLongLong(o);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        words[0] = v;
        return 0;
    }
    unsigned char *buf = bytes_reserve((size_t)nw * 8);
    if (!buf) return -1;
#if PY_VERSION_HEX >= 0x030D0000
    if (PyLong_AsNativeBytes(o, buf, nw * 8, Py_ASNATIVEBYTES_LITTLE_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER) < 0)
        return -1;
#else
    if (_PyLong_AsByteArray((PyLongObject *)o, buf, (size_t)nw * 8, 1, 0) < 0) return -1;
#endif
    for (Py_ssize_t k = 0; k < nw; k++) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--) v = (v << 8) | buf[k * 8 + b];
        words[k] = v;
    }
    return 0;
}

static PyObject *words_to_long(const uint64_t *words, Py_ssize_t nw) {
    if (nw == 1) return PyLong_FromUnsignedLongLong(words[0]);
    unsigned char *buf = bytes_reserve((size_t)nw * 8);
    if (!buf) return NULL;
    for (Py_ssize_t k = 0; k < nw; k++)
        for (int b = 0; b < 8; b++) buf[k * 8 + b] = (unsigned char)(words[k] >> (8 * b));
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromNativeBytes(buf, (size_t)nw * 8, Py_ASNATIVEBYTES_LITTLE_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER);
#else
    return _PyLong_FromByteArray(buf, (size_t)nw * 8, 1, 0);
#endif
}

/* ---- float images --------------------------------------------------------------------- */

/* The image of the integer vector z[0..w) into out[0..w) (see the error analysis). */
static void image_of(mpz_t *z, Py_ssize_t w, double *out) {
    long exps[w > 0 ? w : 1];
    double mants[w > 0 ? w : 1];
    long top = LONG_MIN;
    for (Py_ssize_t k = 0; k < w; k++) {
        if (mpz_sgn(z[k])) {
            mants[k] = mpz_get_d_2exp(&exps[k], z[k]);
            if (exps[k] > top) top = exps[k];
        } else {
            mants[k] = 0.0;
        }
    }
    for (Py_ssize_t k = 0; k < w; k++) {
        if (mants[k] == 0.0) {
            out[k] = 0.0;
        } else {
            long shift = exps[k] - top; /* <= 0 */
            out[k] = shift < -2000 ? 0.0 : ldexp(mants[k], (int)shift);
        }
    }
}

static inline double bound_for(Py_ssize_t w) {
    return ldexp((double)w * (double)(w + 2), -52);
}

/* ---- packed exact generators ------------------------------------------------------------
 *
 * The exact generators of a cell live in one bytes object of 64-bit words:
 *   [m] [offset_0 .. offset_m] [data]
 * generator i is data[offset_i .. offset_(i+1)): for each of its w entries a signed
 * size (the number of limbs, negative for a negative entry) and then the limbs, least
 * significant first. GMP reads an entry in place (mpz_roinit_n), without a copy, and
 * a child cell copies the blocks of the generators it keeps. Python integers are made
 * only when someone reads Cell.vecs (unpack).
 */

#if GMP_NAIL_BITS != 0 || GMP_LIMB_BITS != 64
#error "polyregions.geometry._kernel needs 64-bit GMP limbs without nails"
#endif

typedef struct {
    Py_ssize_t m;
    const uint64_t *offsets;
    const uint64_t *data;
    Py_ssize_t data_words;
} Packed;

static int packed_view(PyObject *exact, Py_ssize_t w, Packed *p) {
    if (!PyBytes_Check(exact)) {
        PyErr_SetString(PyExc_TypeError, "the exact generators must be bytes");
        return -1;
    }
    Py_ssize_t size = PyBytes_GET_SIZE(exact);
    const uint64_t *words = (const uint64_t *)PyBytes_AS_STRING(exact);
    if (size % 8 || size < 16) goto bad;
    Py_ssize_t total = size / 8;
    if (words[0] > (uint64_t)(total - 2)) goto bad;
    Py_ssize_t m = (Py_ssize_t)words[0];
    p->m = m;
    p->offsets = words + 1;
    p->data = words + 2 + m;
    p->data_words = total - 2 - m;
    if (p->offsets[0] != 0 || p->offsets[m] != (uint64_t)p->data_words) goto bad;
    for (Py_ssize_t i = 0; i < m; i++) {  /* each block holds exactly w entries */
        uint64_t at = p->offsets[i], end = p->offsets[i + 1];
        if (at > end) goto bad;
        for (Py_ssize_t k = 0; k < w; k++) {
            if (at >= end) goto bad;
            int64_t size = (int64_t)p->data[at];
            uint64_t n = size < 0 ? (uint64_t)0 - (uint64_t)size : (uint64_t)size;
            if (n > end - at - 1 || (n && p->data[at + n] == 0)) goto bad;  /* normalised limbs */
            at += 1 + n;
        }
        if (at != end) goto bad;
    }
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "malformed exact generators");
    return -1;
}

/* Read-only views of the entries of generator i into ro[0..w). */
static void packed_entries(const Packed *p, Py_ssize_t i, Py_ssize_t w, mpz_t *ro) {
    const uint64_t *at = p->data + p->offsets[i];
    for (Py_ssize_t k = 0; k < w; k++) {
        int64_t size = (int64_t)*at++;
        Py_ssize_t n = size < 0 ? -size : size;
        mpz_roinit_n(ro[k], (const mp_limb_t *)at, (mp_size_t)size);
        at += n;
    }
}

typedef struct {
    uint64_t *w;
    Py_ssize_t n, cap;
} Buf;

static int buf_reserve(Buf *b, Py_ssize_t extra) {
    if (b->n + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra) cap *= 2;
    uint64_t *grown = (uint64_t *)PyMem_Realloc(b->w, (size_t)cap * sizeof(uint64_t));
    if (!grown) { PyErr_NoMemory(); return -1; }
    b->w = grown;
    b->cap = cap;
    return 0;
}

static int buf_put_mpz(Buf *b, mpz_srcptr z) {
    Py_ssize_t n = (Py_ssize_t)mpz_size(z);
    if (buf_reserve(b, n + 1) < 0) return -1;
    b->w[b->n++] = (uint64_t)(int64_t)(mpz_sgn(z) < 0 ? -n : n);
    if (n) memcpy(b->w + b->n, mpz_limbs_read(z), (size_t)n * sizeof(uint64_t));
    b->n += n;
    return 0;
}

/* bytes [m][offsets][data] from the blocks listed: (source data, start, end) */
typedef struct {
    const uint64_t *data;
    uint64_t start, end;
} Block;

static PyObject *packed_from_blocks(const Block *blocks, Py_ssize_t m) {
    Py_ssize_t words = 0;
    for (Py_ssize_t i = 0; i < m; i++) words += (Py_ssize_t)(blocks[i].end - blocks[i].start);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (2 + m + words) * 8);
    if (!out) return NULL;
    uint64_t *dst = (uint64_t *)PyBytes_AS_STRING(out);
    dst[0] = (uint64_t)m;
    uint64_t *offsets = dst + 1, *data = dst + 2 + m, at = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t n = blocks[i].end - blocks[i].start;
        offsets[i] = at;
        if (n) memcpy(data + at, blocks[i].data + blocks[i].start, (size_t)n * sizeof(uint64_t));
        at += n;
    }
    offsets[m] = at;
    return out;
}

static int load_h(PyObject *h, Py_ssize_t *w_out) {
    if (!PyTuple_Check(h)) {
        PyErr_SetString(PyExc_TypeError, "h must be a tuple of ints");
        return -1;
    }
    Py_ssize_t w = PyTuple_GET_SIZE(h);
    if (pool_reserve(3 * w + 2) < 0) return -1;
    for (Py_ssize_t k = 0; k < w; k++)
        if (long_to_mpz(pool[k], PyTuple_GET_ITEM(h, k)) < 0) return -1;
    *w_out = w;
    return 0;
}

/* pack(vecs, width) -> (exact, image): the packed generators and their float images */
static PyObject *k_pack(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "pack(vecs: list, width: int)");
        return NULL;
    }
    PyObject *vecs = args[0];
    Py_ssize_t w = PyLong_AsSsize_t(args[1]);
    if (w < 0) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "width < 0"); return NULL; }
    Py_ssize_t m = PyList_GET_SIZE(vecs);
    if (pool_reserve(w + 1) < 0) return NULL;
    Buf b = {0};
    Block *blocks = (Block *)PyMem_Malloc((size_t)(m ? m : 1) * sizeof(Block));
    PyObject *image = PyBytes_FromStringAndSize(NULL, m * w * (Py_ssize_t)sizeof(double)), *exact = NULL;
    if (!blocks || !image) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    double *img = (double *)PyBytes_AS_STRING(image);
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *vec = PyList_GET_ITEM(vecs, i);
        if (!PyTuple_Check(vec) || PyTuple_GET_SIZE(vec) != w) {
            PyErr_SetString(PyExc_ValueError, "a generator has the wrong length");
            goto done;
        }
        blocks[i].start = (uint64_t)b.n;
        for (Py_ssize_t k = 0; k < w; k++) {
            if (long_to_mpz(pool[k], PyTuple_GET_ITEM(vec, k)) < 0) goto done;
            if (buf_put_mpz(&b, pool[k]) < 0) goto done;
        }
        blocks[i].end = (uint64_t)b.n;
        image_of(pool, w, img + i * w);
    }
    for (Py_ssize_t i = 0; i < m; i++) blocks[i].data = b.w;
    exact = packed_from_blocks(blocks, m);
done:
    PyMem_Free(blocks);
    PyMem_Free(b.w);
    if (!exact) { Py_XDECREF(image); return NULL; }
    return Py_BuildValue("(NN)", exact, image);
}

/* unpack(exact, width) -> list of tuples of ints */
static PyObject *k_unpack(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "unpack(exact: bytes, width: int)");
        return NULL;
    }
    Py_ssize_t w = PyLong_AsSsize_t(args[1]);
    if (w < 0) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "width < 0"); return NULL; }
    Packed p;
    if (packed_view(args[0], w, &p) < 0) return NULL;
    mpz_t ro[w > 0 ? w : 1];
    PyObject *out = PyList_New(p.m);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < p.m; i++) {
        packed_entries(&p, i, w, ro);
        PyObject *vec = PyTuple_New(w);
        if (!vec) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, i, vec);
        for (Py_ssize_t k = 0; k < w; k++) {
            PyObject *entry = mpz_to_long(ro[k]);
            if (!entry) { Py_DECREF(out); return NULL; }
            PyTuple_SET_ITEM(vec, k, entry);
        }
    }
    return out;
}

/* ---- the sign filter ---------------------------------------------------------------- */

/* hz = h as mpz, himg its image; the exact sign of h . (generator i) into *sign; when the
 * exact value was computed (the filter did not settle it) it is left in value, *exact set. */
static void sign_of(const Packed *p, Py_ssize_t i, const double *img, const double *himg, Py_ssize_t w,
                    double bound, mpz_t *hz, mpz_t *ro, mpz_t value, int *sign, int *exact) {
    double s = 0.0;
    for (Py_ssize_t k = 0; k < w; k++) s += himg[k] * img[k];
    if (s > bound) { *sign = 1; *exact = 0; n_filter++; return; }
    if (s < -bound) { *sign = -1; *exact = 0; n_filter++; return; }
    n_exact++;
    n_values++;
    packed_entries(p, i, w, ro);
    mpz_set_ui(value, 0);
    for (Py_ssize_t k = 0; k < w; k++) mpz_addmul(value, hz[k], ro[k]);
    *sign = mpz_sgn(value);
    *exact = 1;
}

static int check_image(PyObject *image, Py_ssize_t m, Py_ssize_t w) {
    if (!PyBytes_Check(image) || PyBytes_GET_SIZE(image) != m * w * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "the image does not match the generators");
        return -1;
    }
    return 0;
}

/* signs(h, exact, image) -> list of -1/0/1 (for the tests: the filter alone). */
static PyObject *k_signs(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "signs(h: tuple, exact: bytes, image: bytes)");
        return NULL;
    }
    Py_ssize_t w;
    if (load_h(args[0], &w) < 0) return NULL;
    Packed p;
    if (packed_view(args[1], w, &p) < 0 || check_image(args[2], p.m, w) < 0) return NULL;
    const double *img = (const double *)PyBytes_AS_STRING(args[2]);
    double himg[w > 0 ? w : 1];
    image_of(pool, w, himg);
    double bound = bound_for(w);
    mpz_t ro[w > 0 ? w : 1];
    PyObject *out = PyList_New(p.m);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < p.m; i++) {
        int sign, exact;
        sign_of(&p, i, img + i * w, himg, w, bound, pool, ro, pool[w], &sign, &exact);
        PyList_SET_ITEM(out, i, PyLong_FromLong(sign));
    }
    return out;
}

/* sides(planes, planes_image, skip, start, exact, image) -> (stop, codes)
 * The side of the cell (generators exact/image) of each packed hyperplane from start on,
 * up to the first one that cuts it properly: codes[k] for plane start + k is 1 (every
 * generator has h . v >= 0, some > 0), 2 (<= 0, some < 0), 0 (h vanishes on them all) or
 * 3 (skip[plane] is nonzero: not looked at); stop is the index of the plane that cuts
 * (both signs occur) or the number of planes. Signs through the filter, as in cut. */
static PyObject *k_sides(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6 || !PyBytes_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "sides(planes: bytes, image: bytes, skip: bytes, start: int, exact: bytes, "
                                         "image: bytes)");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[3]);
    if (start == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyBytes_GET_SIZE(args[2]);
    const unsigned char *skip = (const unsigned char *)PyBytes_AS_STRING(args[2]);
    if (!PyBytes_Check(args[1]) || !PyBytes_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError, "the images must be bytes");
        return NULL;
    }
    /* the width: from the planes' image (n planes of w doubles) */
    if (n == 0 || PyBytes_GET_SIZE(args[1]) % (n * (Py_ssize_t)sizeof(double))) {
        PyErr_SetString(PyExc_ValueError, "the planes and their image do not match");
        return NULL;
    }
    Py_ssize_t w = PyBytes_GET_SIZE(args[1]) / (n * (Py_ssize_t)sizeof(double));
    Packed planes, p;
    if (packed_view(args[0], w, &planes) < 0) return NULL;
    if (planes.m != n) {
        PyErr_SetString(PyExc_ValueError, "the planes and the skip mask do not match");
        return NULL;
    }
    if (packed_view(args[4], w, &p) < 0 || check_image(args[5], p.m, w) < 0) return NULL;
    if (start < 0 || start > n) {
        PyErr_SetString(PyExc_ValueError, "start out of range");
        return NULL;
    }
    const double *pimg = (const double *)PyBytes_AS_STRING(args[1]);
    const double *img = (const double *)PyBytes_AS_STRING(args[5]);
    double bound = bound_for(w);
    if (pool_reserve(1) < 0) return NULL;
    mpz_t hz[w > 0 ? w : 1], ro[w > 0 ? w : 1];
    unsigned char *codes = (unsigned char *)PyMem_Malloc((size_t)(n - start ? n - start : 1));
    if (!codes) return PyErr_NoMemory();
    Py_ssize_t u = start;
    for (; u < n; u++) {
        if (skip[u]) { codes[u - start] = 3; continue; }
        packed_entries(&planes, u, w, hz);
        const double *himg = pimg + u * w;
        int has_pos = 0, has_neg = 0;
        for (Py_ssize_t i = 0; i < p.m; i++) {
            int s, exact;
            sign_of(&p, i, img + i * w, himg, w, bound, hz, ro, pool[0], &s, &exact);
            if (s > 0) has_pos = 1;
            else if (s < 0) has_neg = 1;
        }
        if (has_pos && has_neg) break;
        codes[u - start] = (unsigned char)(has_pos ? 1 : has_neg ? 2 : 0);
    }
    PyObject *out = Py_BuildValue("(ny#)", u, (const char *)codes, (Py_ssize_t)(u - start));
    PyMem_Free(codes);
    return out;
}

/* argmax_planes(rows, k, point) -> (winners, starts, exact, image)
 * The rows are k candidates per unit (integer functions of width w = len(point)). For each
 * unit: its winner, the first of the candidates whose value at point (homogeneous) is the
 * largest, and the differences winner - other for every other candidate not identical to
 * the winner, packed as Planes packs rows (exact, image); starts[u] is the first difference
 * of unit u, starts[units] their number. The values are exact (GMP): no float decides. */
static PyObject *k_argmax_planes(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "argmax_planes(rows: list, k: int, point: tuple)");
        return NULL;
    }
    PyObject *rows = args[0];
    Py_ssize_t k = PyLong_AsSsize_t(args[1]);
    if (k == -1 && PyErr_Occurred()) return NULL;
    if (!PyTuple_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "the point must be a tuple of ints");
        return NULL;
    }
    Py_ssize_t w = PyTuple_GET_SIZE(args[2]), n = PyList_GET_SIZE(rows);
    if (k < 1 || n % k || w < 1) {
        PyErr_SetString(PyExc_ValueError, "argmax_planes: k must divide the number of rows, the point be nonempty");
        return NULL;
    }
    Py_ssize_t units = n / k;
    /* pool: [0, w) point; [w, w + k w) the unit's rows; [w + k w, w + k w + k) values; then w scratch */
    if (pool_reserve(w + k * w + k + w) < 0) return NULL;
    mpz_t *pz = pool, *rz = pool + w, *vz = pool + w + k * w, *dz = pool + w + k * w + k;
    for (Py_ssize_t c = 0; c < w; c++)
        if (long_to_mpz(pz[c], PyTuple_GET_ITEM(args[2], c)) < 0) return NULL;
    PyObject *winners = PyList_New(units), *starts = PyList_New(units + 1), *result = NULL, *exact = NULL,
             *image = NULL;
    Block *blocks = (Block *)PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Block));
    double *img = (double *)PyMem_Malloc((size_t)((n ? n : 1) * w) * sizeof(double));
    Buf b = {0};
    Py_ssize_t count = 0;
    if (!winners || !starts || !blocks || !img) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    for (Py_ssize_t u = 0; u < units; u++) {
        for (Py_ssize_t i = 0; i < k; i++) {
            PyObject *row = PyList_GET_ITEM(rows, u * k + i);
            PyObject *seq = PySequence_Fast(row, "a row must be a list or tuple of ints");
            if (!seq) goto done;
            if (PySequence_Fast_GET_SIZE(seq) != w) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_ValueError, "a row and the point differ in length");
                goto done;
            }
            PyObject **items = PySequence_Fast_ITEMS(seq);
            mpz_set_ui(vz[i], 0);
            for (Py_ssize_t c = 0; c < w; c++) {
                if (long_to_mpz(rz[i * w + c], items[c]) < 0) { Py_DECREF(seq); goto done; }
                mpz_addmul(vz[i], rz[i * w + c], pz[c]);
            }
            Py_DECREF(seq);
        }
        Py_ssize_t best = 0;
        for (Py_ssize_t i = 1; i < k; i++)
            if (mpz_cmp(vz[i], vz[best]) > 0) best = i;
        PyObject *o = PyLong_FromSsize_t(best);
        if (!o) goto done;
        PyList_SET_ITEM(winners, u, o);
        o = PyLong_FromSsize_t(count);
        if (!o) goto done;
        PyList_SET_ITEM(starts, u, o);
        mpz_t *top = rz + best * w;
        for (Py_ssize_t i = 0; i < k; i++) {
            if (i == best) continue;
            mpz_t *other = rz + i * w;
            int same = 1;
            for (Py_ssize_t c = 0; c < w && same; c++) same = mpz_cmp(top[c], other[c]) == 0;
            if (same) continue;
            blocks[count].start = (uint64_t)b.n;
            for (Py_ssize_t c = 0; c < w; c++) {
                mpz_sub(dz[c], top[c], other[c]);
                if (buf_put_mpz(&b, dz[c]) < 0) goto done;
            }
            blocks[count].end = (uint64_t)b.n;
            image_of(dz, w, img + count * w);
            count++;
        }
    }
    {
        PyObject *o = PyLong_FromSsize_t(count);
        if (!o) goto done;
        PyList_SET_ITEM(starts, units, o);
    }
    for (Py_ssize_t i = 0; i < count; i++) blocks[i].data = b.w;
    exact = packed_from_blocks(blocks, count);
    if (!exact) goto done;
    image = PyBytes_FromStringAndSize((const char *)img, count * w * (Py_ssize_t)sizeof(double));
    if (!image) goto done;
    result = PyTuple_Pack(4, winners, starts, exact, image);
done:
    Py_XDECREF(winners);
    Py_XDECREF(starts);
    Py_XDECREF(exact);
    Py_XDECREF(image);
    PyMem_Free(blocks);
    PyMem_Free(img);
    PyMem_Free(b.w);
    return result;
}

/* ---- the cut -------------------------------------------------------------------------- */

static inline int popcount_words(const uint64_t *a, Py_ssize_t n) {
    int c = 0;
    for (Py_ssize_t k = 0; k < n; k++) c += __builtin_popcountll(a[k]);
    return c;
}

/* One side of a proper cut: the generators of sign `side`, the zeros, then the new ones,
 * as (exact, tights, image). */
static PyObject *side_of(const Packed *p, PyObject *tights, const double *img, const signed char *sign,
                         Py_ssize_t w, int side, PyObject *bit, const Buf *new_data, const uint64_t *new_offsets,
                         PyObject *new_tights, const double *new_img, Py_ssize_t n_new) {
    Py_ssize_t m = p->m, count = n_new;
    for (Py_ssize_t i = 0; i < m; i++)
        if (sign[i] == side || sign[i] == 0) count++;
    Block *blocks = (Block *)PyMem_Malloc((size_t)(count ? count : 1) * sizeof(Block));
    PyObject *out_tights = PyList_New(count), *out_img = NULL, *exact = NULL;
    if (!blocks || !out_tights) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto fail; }
    out_img = PyBytes_FromStringAndSize(NULL, count * w * (Py_ssize_t)sizeof(double));
    if (!out_img) goto fail;
    double *dst = (double *)PyBytes_AS_STRING(out_img);
    Py_ssize_t at = 0;
    for (int pass = 0; pass < 2; pass++) {
        int want = pass == 0 ? side : 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (sign[i] != want) continue;
            PyObject *t = PyList_GET_ITEM(tights, i);
            if (want == 0) {
                t = PyNumber_Or(t, bit);
                if (!t) goto fail;
            } else {
                Py_INCREF(t);
            }
            PyList_SET_ITEM(out_tights, at, t);
            blocks[at].data = p->data;
            blocks[at].start = p->offsets[i];
            blocks[at].end = p->offsets[i + 1];
            memcpy(dst + at * w, img + i * w, (size_t)w * sizeof(double));
            at++;
        }
    }
    for (Py_ssize_t i = 0; i < n_new; i++, at++) {
        PyObject *t = PyList_GET_ITEM(new_tights, i);
        Py_INCREF(t);
        PyList_SET_ITEM(out_tights, at, t);
        blocks[at].data = new_data->w;
        blocks[at].start = new_offsets[i];
        blocks[at].end = new_offsets[i + 1];
    }
    if (n_new) memcpy(dst + (count - n_new) * w, new_img, (size_t)(n_new * w) * sizeof(double));
    exact = packed_from_blocks(blocks, count);
    if (!exact) goto fail;
    PyMem_Free(blocks);
    return Py_BuildValue("(NNN)", exact, out_tights, out_img);
fail:
    PyMem_Free(blocks);
    Py_XDECREF(out_tights);
    Py_XDECREF(out_img);
    return NULL;
}

/* cut(h, exact, tights, image, nrows, need, want)
 *   -> 0 (h vanishes on every generator), 1 (all >= 0, some > 0), 2 (all <= 0, some < 0),
 *      or (pos, neg) for a proper cut, each None or (exact, tights, image) */
static PyObject *k_cut(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7 || !PyList_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "cut(h: tuple, exact: bytes, tights: list, image: bytes, nrows, need, want)");
        return NULL;
    }
    PyObject *tights = args[2];
    Py_ssize_t nrows = PyLong_AsSsize_t(args[4]);
    long need = PyLong_AsLong(args[5]);
    long want = PyLong_AsLong(args[6]);
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t w;
    if (load_h(args[0], &w) < 0) return NULL;
    Packed p;
    if (packed_view(args[1], w, &p) < 0) return NULL;
    Py_ssize_t m = p.m;
    if (PyList_GET_SIZE(tights) != m) {
        PyErr_SetString(PyExc_ValueError, "the generators and bitmasks do not match");
        return NULL;
    }
    if (check_image(args[3], m, w) < 0) return NULL;
    const double *img = (const double *)PyBytes_AS_STRING(args[3]);
    double himg[w > 0 ? w : 1];
    image_of(pool, w, himg);
    double bound = bound_for(w);

    /* pool: [0, w) h; [w, w + m) exact values; then w + 1 scratch entries */
    if (pool_reserve(w + m + w + 1) < 0) return NULL;
    mpz_t *hz = pool, *values = pool + w, *tmp = pool + w + m;
    signed char *sign = (signed char *)PyMem_Malloc((size_t)(m ? m : 1));
    unsigned char *loaded = (unsigned char *)PyMem_Calloc((size_t)(m ? m : 1), 1);
    mpz_t *ro = (mpz_t *)PyMem_Malloc((size_t)((m ? m : 1) * (w ? w : 1)) * sizeof(mpz_t));
    uint64_t *words = NULL, *columns = NULL, *common = NULL, *new_offsets = NULL;
    PyObject *new_tights = NULL, *bit = NULL, *pos = NULL, *neg = NULL, *result = NULL;
    double *new_img = NULL;
    Buf new_data = {0};
    if (!sign || !loaded || !ro) { PyErr_NoMemory(); goto done; }
    int has_pos = 0, has_neg = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        int s, exact;
        sign_of(&p, i, img + i * w, himg, w, bound, hz, ro + i * w, values[i], &s, &exact);
        sign[i] = (signed char)s;
        loaded[i] = (unsigned char)exact;
        if (s > 0) has_pos = 1;
        else if (s < 0) has_neg = 1;
    }
    if (!has_neg || !has_pos) {
        result = PyLong_FromLong(!has_neg ? (has_pos ? 1 : 0) : 2);
        goto done;
    }

    /* a proper cut: bitmasks as words, incidence columns */
    Py_ssize_t nw = (nrows + 2 + 63) / 64;  /* bit 0 (t = 0), rows 1..nrows, the new row */
    Py_ssize_t mw = (m + 63) / 64, ncols = nrows + 1;
    words = (uint64_t *)PyMem_Calloc((size_t)(m * nw), sizeof(uint64_t));
    columns = (uint64_t *)PyMem_Calloc((size_t)(ncols * mw), sizeof(uint64_t));
    common = (uint64_t *)PyMem_Malloc((size_t)(nw + mw) * sizeof(uint64_t));
    new_tights = PyList_New(0);
    if (!words || !columns || !common || !new_tights) { if (!PyErr_Occurred()) PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < m; i++) {
        uint64_t *t = words + i * nw;
        if (long_to_words(PyList_GET_ITEM(tights, i), t, nw) < 0) goto done;
        for (Py_ssize_t q = 0; q < nw; q++) {
            uint64_t word = t[q];
            while (word) {
                Py_ssize_t r = q * 64 + __builtin_ctzll(word);
                if (r < ncols) columns[r * mw + i / 64] |= (uint64_t)1 << (i % 64);
                word &= word - 1;
            }
        }
    }
    uint64_t *on = common + nw;
    Py_ssize_t n_new = 0, cap_new = 0;
    for (Py_ssize_t i = 0; i < m; i++) {
        if (sign[i] <= 0) continue;
        const uint64_t *ti = words + i * nw;
        for (Py_ssize_t j = 0; j < m; j++) {
            if (sign[j] >= 0) continue;
            const uint64_t *tj = words + j * nw;
            for (Py_ssize_t q = 0; q < nw; q++) common[q] = ti[q] & tj[q];
            if (popcount_words(common, nw) < need) continue;
            /* the generators on every row of common: adjacent when only i and j */
            for (Py_ssize_t q = 0; q < mw; q++) on[q] = ~(uint64_t)0;
            if (m % 64) on[mw - 1] = ((uint64_t)1 << (m % 64)) - 1;  /* only generators */
            for (Py_ssize_t q = 0; q < nw; q++) {
                uint64_t word = common[q];
                while (word) {
                    const uint64_t *col = columns + (q * 64 + __builtin_ctzll(word)) * mw;
                    for (Py_ssize_t c = 0; c < mw; c++) on[c] &= col[c];
                    word &= word - 1;
                }
            }
            on[i / 64] &= ~((uint64_t)1 << (i % 64));
            on[j / 64] &= ~((uint64_t)1 << (j % 64));
            int other = 0;
            for (Py_ssize_t c = 0; c < mw; c++) if (on[c]) { other = 1; break; }
            if (other) continue;
            /* exact values of both ends */
            Py_ssize_t ends[2] = {i, j};
            for (int e = 0; e < 2; e++) {
                Py_ssize_t g = ends[e];
                if (!loaded[g]) {
                    packed_entries(&p, g, w, ro + g * w);
                    mpz_set_ui(values[g], 0);
                    for (Py_ssize_t c = 0; c < w; c++) mpz_addmul(values[g], hz[c], ro[g * w + c]);
                    loaded[g] = 1;
                    n_values++;
                }
            }
            mpz_t *vi = ro + i * w, *vj = ro + j * w;
            /* new = h_i v_j - h_j v_i, divided by the gcd of its entries */
            Py_ssize_t smallest = -1;
            size_t smallest_size = 0;
            for (Py_ssize_t c = 0; c < w; c++) {
                mpz_mul(tmp[c], values[i], vj[c]);
                mpz_submul(tmp[c], values[j], vi[c]);
                size_t size = mpz_size(tmp[c]);
                if (size && (smallest < 0 || size < smallest_size)) { smallest = c; smallest_size = size; }
            }
            /* the gcd of the entries, from the shortest one on, until it is 1 */
            mpz_set_ui(tmp[w], 0);
            if (smallest >= 0) {
                mpz_abs(tmp[w], tmp[smallest]);
                for (Py_ssize_t c = 0; c < w && mpz_cmp_ui(tmp[w], 1) != 0; c++)
                    if (c != smallest && mpz_sgn(tmp[c])) mpz_gcd(tmp[w], tmp[w], tmp[c]);
            }
            if (mpz_cmp_ui(tmp[w], 1) > 0)
                for (Py_ssize_t c = 0; c < w; c++) mpz_divexact(tmp[c], tmp[c], tmp[w]);
            if (n_new + 1 >= cap_new) {
                cap_new = cap_new ? 2 * cap_new : 16;
                double *grown = (double *)PyMem_Realloc(new_img, (size_t)(cap_new * w) * sizeof(double));
                if (!grown) { PyErr_NoMemory(); goto done; }
                new_img = grown;
                uint64_t *more = (uint64_t *)PyMem_Realloc(new_offsets, (size_t)(cap_new + 1) * sizeof(uint64_t));
                if (!more) { PyErr_NoMemory(); goto done; }
                new_offsets = more;
            }
            new_offsets[n_new] = (uint64_t)new_data.n;
            for (Py_ssize_t c = 0; c < w; c++)
                if (buf_put_mpz(&new_data, tmp[c]) < 0) goto done;
            new_offsets[n_new + 1] = (uint64_t)new_data.n;
            image_of(tmp, w, new_img + n_new * w);
            /* its bitmask: common and the new row */
            Py_ssize_t r = nrows + 1;
            common[r / 64] |= (uint64_t)1 << (r % 64);
            PyObject *tight = words_to_long(common, nw);
            if (!tight) goto done;
            int failed = PyList_Append(new_tights, tight);
            Py_DECREF(tight);
            if (failed) goto done;
            n_new++;
        }
    }
    {
        Py_ssize_t r = nrows + 1;
        for (Py_ssize_t q = 0; q < nw; q++) common[q] = 0;
        common[r / 64] = (uint64_t)1 << (r % 64);
        bit = words_to_long(common, nw);  /* 1 << (nrows + 1) */
        if (!bit) goto done;
    }
    if (want & 1) {
        pos = side_of(&p, tights, img, sign, w, 1, bit, &new_data, new_offsets, new_tights, new_img, n_new);
        if (!pos) goto done;
    } else {
        pos = Py_NewRef(Py_None);
    }
    if (want & 2) {
        neg = side_of(&p, tights, img, sign, w, -1, bit, &new_data, new_offsets, new_tights, new_img, n_new);
        if (!neg) goto done;
    } else {
        neg = Py_NewRef(Py_None);
    }
    result = PyTuple_Pack(2, pos, neg);
done:
    Py_XDECREF(pos);
    Py_XDECREF(neg);
    Py_XDECREF(bit);
    Py_XDECREF(new_tights);
    PyMem_Free(new_img);
    PyMem_Free(new_offsets);
    PyMem_Free(new_data.w);
    PyMem_Free(words);
    PyMem_Free(columns);
    PyMem_Free(common);
    PyMem_Free(sign);
    PyMem_Free(loaded);
    PyMem_Free(ro);
    return result;
}

/* ---- facets and pruning ---------------------------------------------------------------- */

/* facets(tights, nrows) -> list of the facet rows (0-based), as Cell.facet_indices */
static PyObject *facets_and_columns(PyObject *tights, Py_ssize_t nrows, uint64_t **columns_out, Py_ssize_t *mw_out) {
    Py_ssize_t m = PyList_GET_SIZE(tights), ncols = nrows + 1;
    Py_ssize_t nw = (ncols + 63) / 64, mw = (m + 63) / 64;
    uint64_t *t = (uint64_t *)PyMem_Calloc((size_t)(nw ? nw : 1), sizeof(uint64_t));
    uint64_t *columns = (uint64_t *)PyMem_Calloc((size_t)(ncols * (mw ? mw : 1)), sizeof(uint64_t));
    int *counts = (int *)PyMem_Calloc((size_t)ncols, sizeof(int));
    PyObject *out = NULL;
    if (!t || !columns || !counts) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < m; i++) {
        if (long_to_words(PyList_GET_ITEM(tights, i), t, nw) < 0) goto done;
        for (Py_ssize_t q = 0; q < nw; q++) {
            uint64_t word = t[q];
            while (word) {
                Py_ssize_t r = q * 64 + __builtin_ctzll(word);
                if (r < ncols) columns[r * mw + i / 64] |= (uint64_t)1 << (i % 64);
                word &= word - 1;
            }
        }
    }
    for (Py_ssize_t r = 0; r < ncols; r++) counts[r] = popcount_words(columns + r * mw, mw);
    out = PyList_New(0);
    if (!out) goto done;
    for (Py_ssize_t r = 1; r < ncols; r++) {
        const uint64_t *mine = columns + r * mw;
        int dominated = 0;
        for (Py_ssize_t o = 0; o < ncols && !dominated; o++) {
            if (counts[o] <= counts[r]) continue;  /* a strict superset has more bits */
            const uint64_t *other = columns + o * mw;
            int subset = 1;
            for (Py_ssize_t p = 0; p < mw; p++) if ((other[p] & mine[p]) != mine[p]) { subset = 0; break; }
            dominated = subset;
        }
        if (!dominated) {
            PyObject *index = PyLong_FromSsize_t(r - 1);
            if (!index || PyList_Append(out, index) < 0) { Py_XDECREF(index); Py_CLEAR(out); goto done; }
            Py_DECREF(index);
        }
    }
done:
    PyMem_Free(t);
    PyMem_Free(counts);
    if (columns_out && out) { *columns_out = columns; *mw_out = mw; }
    else PyMem_Free(columns);
    return out;
}

static PyObject *k_facets(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "facets(tights: list, nrows: int)");
        return NULL;
    }
    Py_ssize_t nrows = PyLong_AsSsize_t(args[1]);
    if (nrows < 0) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "nrows < 0"); return NULL; }
    return facets_and_columns(args[0], nrows, NULL, NULL);
}

/* prune(tights, nrows) -> None when every row is a facet, else (keep, new tights) */
static PyObject *k_prune(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "prune(tights: list, nrows: int)");
        return NULL;
    }
    PyObject *tights = args[0];
    Py_ssize_t nrows = PyLong_AsSsize_t(args[1]);
    if (nrows < 0) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "nrows < 0"); return NULL; }
    uint64_t *columns = NULL;
    Py_ssize_t mw = 0;
    PyObject *keep = facets_and_columns(tights, nrows, &columns, &mw);
    if (!keep) return NULL;
    Py_ssize_t nkeep = PyList_GET_SIZE(keep);
    if (nkeep == nrows) {
        PyMem_Free(columns);
        Py_DECREF(keep);
        Py_RETURN_NONE;
    }
    Py_ssize_t m = PyList_GET_SIZE(tights);
    Py_ssize_t nw = (nkeep + 1 + 63) / 64;
    uint64_t *words = (uint64_t *)PyMem_Calloc((size_t)(m * (nw ? nw : 1)), sizeof(uint64_t));
    PyObject *out = NULL, *new_tights = NULL;
    if (!words) { PyErr_NoMemory(); goto done; }
    /* bit 0 stays; kept row keep[n] becomes bit n + 1 */
    for (Py_ssize_t i = 0; i < m; i++)
        if (columns[i / 64] >> (i % 64) & 1) words[i * nw] |= 1;
    for (Py_ssize_t n = 0; n < nkeep; n++) {
        Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(keep, n)) + 1, b = n + 1;
        const uint64_t *col = columns + r * mw;
        for (Py_ssize_t i = 0; i < m; i++)
            if (col[i / 64] >> (i % 64) & 1) words[i * nw + b / 64] |= (uint64_t)1 << (b % 64);
    }
    new_tights = PyList_New(m);
    if (!new_tights) goto done;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *t = words_to_long(words + i * nw, nw);
        if (!t) goto done;
        PyList_SET_ITEM(new_tights, i, t);
    }
    out = PyTuple_Pack(2, keep, new_tights);
done:
    Py_XDECREF(new_tights);
    Py_DECREF(keep);
    PyMem_Free(words);
    PyMem_Free(columns);
    return out;
}

/* small(weight) -> bytes or None: the matrix as row-major int64 when every entry has
 * |entry| < 2^63 (what affine's fast path reads), else None. */
static PyObject *k_small(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1 || !PyTuple_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "small(weight: tuple)");
        return NULL;
    }
    PyObject *weight = args[0];
    Py_ssize_t out_n = PyTuple_GET_SIZE(weight), in_n = -1;
    for (Py_ssize_t i = 0; i < out_n; i++) {
        PyObject *row = PyTuple_GET_ITEM(weight, i);
        if (!PyTuple_Check(row) || (in_n >= 0 && PyTuple_GET_SIZE(row) != in_n)) {
            PyErr_SetString(PyExc_ValueError, "the weight rows must be tuples of one length");
            return NULL;
        }
        in_n = PyTuple_GET_SIZE(row);
    }
    if (in_n < 0) in_n = 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, out_n * in_n * (Py_ssize_t)sizeof(int64_t));
    if (!out) return NULL;
    int64_t *dst = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < out_n; i++) {
        PyObject *row = PyTuple_GET_ITEM(weight, i);
        for (Py_ssize_t j = 0; j < in_n; j++) {
            PyObject *v = PyTuple_GET_ITEM(row, j);
            if (!PyLong_Check(v)) {
                Py_DECREF(out);
                PyErr_SetString(PyExc_TypeError, "expected an int");
                return NULL;
            }
            int overflow;
            long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow || x == LLONG_MIN) { Py_DECREF(out); Py_RETURN_NONE; }
            if (x == -1 && PyErr_Occurred()) { Py_DECREF(out); return NULL; }
            dst[i * in_n + j] = (int64_t)x;
        }
    }
    return out;
}

/* c[0..L] = the column sums of sum_a sign_a x_a wm_a (see affine_small); inlined with a
 * constant L the columns stay in registers. */
static inline __attribute__((always_inline)) void column_sums(
        Py_ssize_t L, const int64_t *wrow, const Py_ssize_t *index, Py_ssize_t nlive, const mp_limb_t *mag,
        const signed char *sgn, Py_ssize_t width, Py_ssize_t k, __int128 *out) {
    __int128 c[5] = {0, 0, 0, 0, 0};  /* L <= 4 here (affine_small's own loop beyond) */
    for (Py_ssize_t a = 0; a < nlive; a++) {
        int64_t wv = wrow[index[a]];
        signed char s = sgn[a * width + k];
        mp_limb_t wm = wv < 0 ? (mp_limb_t)0 - (mp_limb_t)wv : (mp_limb_t)wv;
        __int128 mask = -(__int128)((wv < 0) != (s < 0));  /* 0, or all ones to negate */
        const mp_limb_t *x = mag + (a * width + k) * L;
        for (Py_ssize_t l = 0; l < L; l++) {
            unsigned __int128 p = (unsigned __int128)x[l] * wm;
            __int128 lo = (__int128)(mp_limb_t)p, hi = (__int128)(mp_limb_t)(p >> 64);
            c[l] += (lo ^ mask) - mask;
            c[l + 1] += (hi ^ mask) - mask;
        }
    }
    for (Py_ssize_t l = 0; l <= L; l++) out[l] = c[l];
}

/* The fast path of affine: weights as int64 (small), every input a magnitude of at most
 * L limbs. Each output entry is sum_j w_ij x_jk, accumulated as two nonnegative sums
 * (the terms of either sign) in L + 1 limbs plus a 128-bit top (mpn_addmul_1: one limb
 * times L limbs), then their difference; exact like the mpz loop it replaces. */
static int affine_small(const int64_t *w, Py_ssize_t out_n, Py_ssize_t in_n, Py_ssize_t width,
                        mpz_t *in, const unsigned char *live, mpz_t *out) {
    Py_ssize_t L = 1;
    for (Py_ssize_t e = 0; e < in_n * width; e++)
        if ((Py_ssize_t)mpz_size(in[e]) > L) L = (Py_ssize_t)mpz_size(in[e]);
    Py_ssize_t nlive = 0;
    for (Py_ssize_t j = 0; j < in_n; j++) nlive += live[j] != 0;
    Py_ssize_t *index = (Py_ssize_t *)PyMem_Malloc((size_t)(nlive ? nlive : 1) * sizeof(Py_ssize_t));
    mp_limb_t *mag = (mp_limb_t *)PyMem_Calloc((size_t)((nlive ? nlive : 1) * width * L), sizeof(mp_limb_t));
    signed char *sgn = (signed char *)PyMem_Malloc((size_t)((nlive ? nlive : 1) * width));
    mp_limb_t *acc = (mp_limb_t *)PyMem_Malloc((size_t)(L + 1) * sizeof(__int128));
    if (!index || !mag || !sgn || !acc) {
        PyMem_Free(index); PyMem_Free(mag); PyMem_Free(sgn); PyMem_Free(acc);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t j = 0; j < in_n; j++) {
        if (!live[j]) continue;
        index[at] = j;
        for (Py_ssize_t k = 0; k < width; k++) {
            mpz_srcptr z = in[j * width + k];
            size_t n = mpz_size(z);
            if (n) memcpy(mag + (at * width + k) * L, mpz_limbs_read(z), n * sizeof(mp_limb_t));
            sgn[at * width + k] = (signed char)mpz_sgn(z);
        }
        at++;
    }
    /* column sums: c[l] is the signed sum of the limbs at position l of the products
     * (each product x[l] wm split into its low and high limbs), |c[l]| < 2^65 in_n:
     * no overflow of 128 bits, no carry between columns until the end. */
    __int128 *c = (__int128 *)acc;
    for (Py_ssize_t i = 0; i < out_n; i++) {
        const int64_t *wrow = w + i * in_n;
        for (Py_ssize_t k = 0; k < width; k++) {
            switch (L) {
            case 1: column_sums(1, wrow, index, nlive, mag, sgn, width, k, c); break;
            case 2: column_sums(2, wrow, index, nlive, mag, sgn, width, k, c); break;
            case 3: column_sums(3, wrow, index, nlive, mag, sgn, width, k, c); break;
            case 4: column_sums(4, wrow, index, nlive, mag, sgn, width, k, c); break;
            default:
                for (Py_ssize_t l = 0; l <= L; l++) c[l] = 0;
                for (Py_ssize_t a = 0; a < nlive; a++) {
                    int64_t wv = wrow[index[a]];
                    signed char s = sgn[a * width + k];
                    mp_limb_t wm = wv < 0 ? (mp_limb_t)0 - (mp_limb_t)wv : (mp_limb_t)wv;
                    __int128 mask = -(__int128)((wv < 0) != (s < 0));
                    const mp_limb_t *x = mag + (a * width + k) * L;
                    for (Py_ssize_t l = 0; l < L; l++) {
                        unsigned __int128 p = (unsigned __int128)x[l] * wm;
                        c[l] += ((__int128)(mp_limb_t)p ^ mask) - mask;
                        c[l + 1] += ((__int128)(mp_limb_t)(p >> 64) ^ mask) - mask;
                    }
                }
            }
            /* out = sum_l c[l] 2^(64 l), from the top down */
            mpz_ptr o = out[i * width + k];
            mpz_set_ui(o, 0);
            for (Py_ssize_t l = L; l >= 0; l--) {
                __int128 v = c[l];
                int negative = v < 0;
                unsigned __int128 m = negative ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
                if (l < L) mpz_mul_2exp(o, o, 64);
                mp_limb_t limbs[2] = {(mp_limb_t)m, (mp_limb_t)(m >> 64)};
                mpz_t view;
                mpz_roinit_n(view, limbs, negative ? -2 : 2);
                mpz_add(o, o, view);
            }
        }
    }
    PyMem_Free(index); PyMem_Free(mag); PyMem_Free(sgn); PyMem_Free(acc);
    return 0;
}

/* ---- affine maps -------------------------------------------------------------------- */

/* affine(weight, bias, wden, rows, den) -> (rows, den): the rows of (weight @ (rows / den) + bias) / wden
 * over one denominator, divided by the gcd of the denominator and every entry, exactly as
 * engine._apply_affine: out[i][k] = sum_j weight[i][j] rows[j][k], plus bias[i] den in the
 * last column; the denominator den wden. */
/* The outputs out[0 .. out_n * width) packed as out_n vectors of width entries. */
static PyObject *pack_rows(mpz_t *out, Py_ssize_t out_n, Py_ssize_t width) {
    Buf b = {0};
    Block *blocks = (Block *)PyMem_Malloc((size_t)(out_n ? out_n : 1) * sizeof(Block));
    PyObject *packed = NULL;
    if (!blocks) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < out_n; i++) {
        blocks[i].start = (uint64_t)b.n;
        for (Py_ssize_t k = 0; k < width; k++)
            if (buf_put_mpz(&b, out[i * width + k]) < 0) goto done;
        blocks[i].end = (uint64_t)b.n;
    }
    for (Py_ssize_t i = 0; i < out_n; i++) blocks[i].data = b.w;
    packed = packed_from_blocks(blocks, out_n);
done:
    PyMem_Free(blocks);
    PyMem_Free(b.w);
    return packed;
}

/* The rows (indices into changed) where rows and the memo's rows differ, when the memo
 * holds the product for the same denominator and at most a quarter of the rows differ;
 * else -1 (compute it all). -2 on error. */
static Py_ssize_t memo_changes(PyObject *memo, PyObject *rows, PyObject *den, Py_ssize_t *changed) {
    PyObject *prev_rows = PyList_GET_ITEM(memo, 0), *prev_den = PyList_GET_ITEM(memo, 1);
    Py_ssize_t in_n = PyList_GET_SIZE(rows), n = 0;
    if (!PyList_Check(prev_rows) || PyList_GET_SIZE(prev_rows) != in_n || !PyBytes_Check(PyList_GET_ITEM(memo, 2)))
        return -1;
    int same = PyObject_RichCompareBool(prev_den, den, Py_EQ);
    if (same <= 0) return same < 0 ? -2 : -1;
    for (Py_ssize_t j = 0; j < in_n; j++) {
        PyObject *a = PyList_GET_ITEM(rows, j), *b = PyList_GET_ITEM(prev_rows, j);
        if (a == b) continue;
        int eq = PyObject_RichCompareBool(a, b, Py_EQ);
        if (eq < 0) return -2;
        if (eq) continue;
        if (4 * (n + 1) > in_n) return -1;
        changed[n++] = j;
    }
    return n;
}

static PyObject *k_affine(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 5 || nargs > 7 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1]) || !PyList_Check(args[3])
        || (nargs >= 6 && args[5] != Py_None && !PyBytes_Check(args[5]))
        || (nargs == 7 && args[6] != Py_None && !(PyList_Check(args[6]) && PyList_GET_SIZE(args[6]) == 3))) {
        PyErr_SetString(PyExc_TypeError, "affine(weight: tuple, bias: tuple, wden: int, rows: list, den: int"
                                         "[, small: bytes | None[, memo: list of 3 | None]])");
        return NULL;
    }
    PyObject *small = nargs >= 6 && args[5] != Py_None ? args[5] : NULL;
    PyObject *memo = nargs == 7 && args[6] != Py_None ? args[6] : NULL;
    PyObject *weight = args[0], *bias = args[1], *rows = args[3];
    Py_ssize_t out_n = PyTuple_GET_SIZE(weight), in_n = PyList_GET_SIZE(rows);
    if (PyTuple_GET_SIZE(bias) != out_n) {
        PyErr_SetString(PyExc_ValueError, "weight and bias do not match");
        return NULL;
    }
    if (in_n == 0) {
        PyErr_SetString(PyExc_ValueError, "no rows");
        return NULL;
    }
    PyObject *first = PyList_GET_ITEM(rows, 0);
    if (!PyList_Check(first)) {
        PyErr_SetString(PyExc_TypeError, "rows must be lists of ints");
        return NULL;
    }
    Py_ssize_t width = PyList_GET_SIZE(first);
    if (width == 0) {
        PyErr_SetString(PyExc_ValueError, "rows must not be empty");
        return NULL;
    }
    /* pool: in_n * width inputs, out_n * width outputs, den, wden, weight entry, gcd */
    Py_ssize_t n_in = in_n * width, n_out = out_n * width;
    if (pool_reserve(n_in + n_out + 4) < 0) return NULL;
    mpz_t *in = pool, *out = pool + n_in, *den = pool + n_in + n_out, *wden = den + 1, *wt = den + 2, *g = den + 3;
    if (long_to_mpz(*den, args[4]) < 0 || long_to_mpz(*wden, args[2]) < 0) return NULL;
    unsigned char *live = (unsigned char *)PyMem_Calloc((size_t)in_n, 1);
    Py_ssize_t *changed = (Py_ssize_t *)PyMem_Malloc((size_t)in_n * sizeof(Py_ssize_t));
    PyObject *result = NULL, *out_rows = NULL;
    if (!live || !changed) { PyErr_NoMemory(); goto done; }
    if (small && PyBytes_GET_SIZE(small) != out_n * in_n * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "the small weights do not match the rows");
        goto done;
    }
    Py_ssize_t n_changed = small && memo ? memo_changes(memo, rows, args[4], changed) : -1;
    if (n_changed == -2) goto done;
    if (n_changed >= 0) {
        /* the memo's product (bias included: the same den) plus the changed rows' differences */
        Packed prev;
        if (packed_view(PyList_GET_ITEM(memo, 2), width, &prev) < 0) goto done;
        if (prev.m != out_n) {
            PyErr_SetString(PyExc_ValueError, "the memo does not match the weights");
            goto done;
        }
        mpz_t ro[width];
        for (Py_ssize_t i = 0; i < out_n; i++) {
            packed_entries(&prev, i, width, ro);
            for (Py_ssize_t k = 0; k < width; k++) mpz_set(out[i * width + k], ro[k]);
        }
        const int64_t *w = (const int64_t *)PyBytes_AS_STRING(small);
        PyObject *prev_rows = PyList_GET_ITEM(memo, 0);
        for (Py_ssize_t c = 0; c < n_changed; c++) {
            Py_ssize_t j = changed[c];
            PyObject *row = PyList_GET_ITEM(rows, j), *old = PyList_GET_ITEM(prev_rows, j);
            if (!PyList_Check(row) || PyList_GET_SIZE(row) != width) {
                PyErr_SetString(PyExc_ValueError, "rows of different lengths");
                goto done;
            }
            for (Py_ssize_t k = 0; k < width; k++) {  /* in[k] = new - old */
                if (long_to_mpz(in[k], PyList_GET_ITEM(row, k)) < 0 || long_to_mpz(*wt, PyList_GET_ITEM(old, k)) < 0)
                    goto done;
                mpz_sub(in[k], in[k], *wt);
            }
            for (Py_ssize_t i = 0; i < out_n; i++) {
                int64_t wv = w[i * in_n + j];
                if (!wv) continue;
                for (Py_ssize_t k = 0; k < width; k++) {
                    if (wv > 0) mpz_addmul_ui(out[i * width + k], in[k], (unsigned long)wv);
                    else mpz_submul_ui(out[i * width + k], in[k], (unsigned long)0 - (unsigned long)wv);
                }
            }
        }
        goto product;
    }
    for (Py_ssize_t j = 0; j < in_n; j++) {
        PyObject *row = PyList_GET_ITEM(rows, j);
        if (!PyList_Check(row) || PyList_GET_SIZE(row) != width) {
            PyErr_SetString(PyExc_ValueError, "rows of different lengths");
            goto done;
        }
        for (Py_ssize_t k = 0; k < width; k++) {
            if (long_to_mpz(in[j * width + k], PyList_GET_ITEM(row, k)) < 0) goto done;
            if (mpz_sgn(in[j * width + k])) live[j] = 1;
        }
    }
    if (small && affine_small((const int64_t *)PyBytes_AS_STRING(small), out_n, in_n, width, in, live, out) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < out_n; i++) {
        PyObject *wrow = PyTuple_GET_ITEM(weight, i);
        if (!PyTuple_Check(wrow) || PyTuple_GET_SIZE(wrow) != in_n) {
            PyErr_SetString(PyExc_ValueError, "a weight row does not match the rows");
            goto done;
        }
        if (!small) {
            for (Py_ssize_t k = 0; k < width; k++) mpz_set_ui(out[i * width + k], 0);
            for (Py_ssize_t j = 0; j < in_n; j++) {
                if (!live[j]) continue;
                if (long_to_mpz(*wt, PyTuple_GET_ITEM(wrow, j)) < 0) goto done;
                if (!mpz_sgn(*wt)) continue;
                for (Py_ssize_t k = 0; k < width; k++) mpz_addmul(out[i * width + k], *wt, in[j * width + k]);
            }
        }
        if (long_to_mpz(*wt, PyTuple_GET_ITEM(bias, i)) < 0) goto done;
        mpz_addmul(out[i * width + width - 1], *wt, *den);
    }
product:
    if (memo) {  /* remember the product before the gcd, for the next call */
        PyObject *packed = pack_rows(out, out_n, width);
        if (!packed) goto done;
        Py_INCREF(rows);
        Py_INCREF(args[4]);
        PyList_SetItem(memo, 0, rows);
        PyList_SetItem(memo, 1, args[4]);
        PyList_SetItem(memo, 2, packed);
    }
    mpz_mul(*den, *den, *wden);
    mpz_abs(*g, *den);
    for (Py_ssize_t e = 0; e < n_out && mpz_cmp_ui(*g, 1) != 0; e++)
        if (mpz_sgn(out[e])) mpz_gcd(*g, *g, out[e]);
    if (mpz_cmp_ui(*g, 1) > 0) {
        for (Py_ssize_t e = 0; e < n_out; e++) mpz_divexact(out[e], out[e], *g);
        mpz_divexact(*den, *den, *g);
    }
    out_rows = PyList_New(out_n);
    if (!out_rows) goto done;
    for (Py_ssize_t i = 0; i < out_n; i++) {
        PyObject *row = PyList_New(width);
        if (!row) goto done;
        PyList_SET_ITEM(out_rows, i, row);
        for (Py_ssize_t k = 0; k < width; k++) {
            PyObject *entry = mpz_to_long(out[i * width + k]);
            if (!entry) goto done;
            PyList_SET_ITEM(row, k, entry);
        }
    }
    PyObject *den_long = mpz_to_long(*den);
    if (!den_long) goto done;
    result = Py_BuildValue("(ON)", out_rows, den_long);
done:
    Py_XDECREF(out_rows);
    PyMem_Free(live);
    PyMem_Free(changed);
    return result;
}

/* keys(rows) -> list of tuples: for each integer row (a list or tuple), the row divided by
 * the gcd of its entries with its first nonzero entry made positive (polyhedron.oriented_key). */
static PyObject *k_keys(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "keys(rows: list)");
        return NULL;
    }
    PyObject *rows = args[0];
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *out = PyList_New(n);
    if (!out) return NULL;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        PyObject *seq = PySequence_Fast(row, "keys: a row must be a list or tuple of ints");
        if (!seq) goto fail;
        Py_ssize_t w = PySequence_Fast_GET_SIZE(seq);
        if (pool_reserve(w + 1) < 0) { Py_DECREF(seq); goto fail; }
        mpz_t *z = pool, *g = pool + w;
        mpz_set_ui(*g, 0);
        int first = 0;
        for (Py_ssize_t k = 0; k < w; k++) {
            if (long_to_mpz(z[k], PySequence_Fast_GET_ITEM(seq, k)) < 0) { Py_DECREF(seq); goto fail; }
            if (!first && mpz_sgn(z[k])) first = mpz_sgn(z[k]);
            if (mpz_cmp_ui(*g, 1) != 0) mpz_gcd(*g, *g, z[k]);
        }
        Py_DECREF(seq);
        if (first < 0) mpz_neg(*g, *g);
        PyObject *key = PyTuple_New(w);
        if (!key) goto fail;
        PyList_SET_ITEM(out, r, key);
        for (Py_ssize_t k = 0; k < w; k++) {
            if (mpz_sgn(*g) && mpz_cmp_ui(*g, 1) != 0) mpz_divexact(z[k], z[k], *g);
            PyObject *entry = mpz_to_long(z[k]);
            if (!entry) goto fail;
            PyTuple_SET_ITEM(key, k, entry);
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* prints(rows) -> list of ints: a fingerprint of each row's hyperplane, equal for rows that are
 * multiples of each other (the same hyperplane): with p the first nonzero entry and
 * P = 2^61 - 1, the residues r_i / r_p mod P folded with p into 64 bits; -1 when r_p is
 * divisible by P (no fingerprint: compare exactly). Unequal prints mean unequal
 * hyperplanes; equal prints must be confirmed exactly. */
static PyObject *k_prints(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "prints(rows: list)");
        return NULL;
    }
    PyObject *rows = args[0];
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *out = PyList_New(n);
    if (!out) return NULL;
    if (pool_reserve(3) < 0) goto fail;
    mpz_t *z = pool, *prime = pool + 1, *inv = pool + 2;
    mpz_set_ui(*prime, 1);
    mpz_mul_2exp(*prime, *prime, 61);
    mpz_sub_ui(*prime, *prime, 1);
    const uint64_t P = ((uint64_t)1 << 61) - 1;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *seq = PySequence_Fast(PyList_GET_ITEM(rows, r), "prints: a row must be a list or tuple of ints");
        if (!seq) goto fail;
        Py_ssize_t w = PySequence_Fast_GET_SIZE(seq), p = -1;
        uint64_t h = 0, inverse = 0;
        int none = 0;
        for (Py_ssize_t k = 0; k < w; k++) {
            if (long_to_mpz(*z, PySequence_Fast_GET_ITEM(seq, k)) < 0) { Py_DECREF(seq); goto fail; }
            if (p < 0) {
                if (!mpz_sgn(*z)) continue;
                p = k;
                mpz_mod(*z, *z, *prime);
                if (!mpz_sgn(*z) || !mpz_invert(*inv, *z, *prime)) { none = 1; break; }
                inverse = mpz_get_ui(*inv);
                h = (uint64_t)p + 1;
                continue;
            }
            mpz_mod(*z, *z, *prime);
            uint64_t residue = (uint64_t)(((unsigned __int128)mpz_get_ui(*z) * inverse) % P);
            h = h * 0x9E3779B97F4A7C15ULL + residue + 1;  /* position-dependent fold, mod 2^64 */
        }
        Py_DECREF(seq);
        PyObject *value = none ? PyLong_FromLong(-1) : PyLong_FromUnsignedLongLong(h);
        if (!value) goto fail;
        PyList_SET_ITEM(out, r, value);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* ---- counters ---------------------------------------------------------------------- */

static PyObject *k_counters(PyObject *self, PyObject *unused) {
    return Py_BuildValue("{s:K,s:K,s:K}", "filter", n_filter, "exact", n_exact, "values", n_values);
}

static PyObject *k_reset_counters(PyObject *self, PyObject *unused) {
    n_filter = n_exact = n_values = 0;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"pack", (PyCFunction)(void (*)(void))k_pack, METH_FASTCALL,
     "pack(vecs, width) -> (exact, image): integer vectors packed for GMP, and their float images."},
    {"unpack", (PyCFunction)(void (*)(void))k_unpack, METH_FASTCALL,
     "unpack(exact, width) -> list: the packed vectors as tuples of ints."},
    {"signs", (PyCFunction)(void (*)(void))k_signs, METH_FASTCALL,
     "signs(h, exact, image) -> list: the exact signs of h . v, through the float filter."},
    {"sides", (PyCFunction)(void (*)(void))k_sides, METH_FASTCALL,
     "sides(planes, image, skip, start, exact, image) -> (stop, codes): the sides of many hyperplanes."},
    {"argmax_planes", (PyCFunction)(void (*)(void))k_argmax_planes, METH_FASTCALL,
     "argmax_planes(rows, k, point) -> (winners, starts, exact, image): each unit's candidate largest at "
     "point and its differences from the other candidates, packed."},
    {"cut", (PyCFunction)(void (*)(void))k_cut, METH_FASTCALL,
     "cut(h, exact, tights, image, nrows, need, want): one double description step."},
    {"facets", (PyCFunction)(void (*)(void))k_facets, METH_FASTCALL,
     "facets(tights, nrows) -> list: the rows that are facets."},
    {"prune", (PyCFunction)(void (*)(void))k_prune, METH_FASTCALL,
     "prune(tights, nrows) -> None or (kept rows, renumbered bitmasks)."},
    {"affine", (PyCFunction)(void (*)(void))k_affine, METH_FASTCALL,
     "affine(weight, bias, wden, rows, den[, small[, memo]]) -> (rows, den): an affine map applied to integer "
     "rows over den (memo: the last call's rows and product, updated by the rows that changed)."},
    {"small", (PyCFunction)(void (*)(void))k_small, METH_FASTCALL,
     "small(weight) -> bytes | None: the weights as int64 for affine's fast path, None when one does not fit."},
    {"keys", (PyCFunction)(void (*)(void))k_keys, METH_FASTCALL,
     "keys(rows) -> list of tuples: each row's oriented_key (primitive, first nonzero entry positive)."},
    {"prints", (PyCFunction)(void (*)(void))k_prints, METH_FASTCALL,
     "prints(rows) -> list of ints: fingerprints equal for rows of one hyperplane (-1: none)."},
    {"counters", k_counters, METH_NOARGS,
     "counters() -> dict: signs settled by the filter, signs left to the exact value, exact values computed."},
    {"reset_counters", k_reset_counters, METH_NOARGS, "reset_counters(): set the counters to 0."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "polyregions.geometry._kernel",
    "The compiled exact kernel of Cell.cut and Cell.pruned (GMP integers, a float sign filter).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__kernel(void) {
    return PyModule_Create(&module);
}
