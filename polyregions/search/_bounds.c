/* Rigorous symbolic interval bounds of a ReLU network over an input box, in doubles.
 *
 * polyregions.search._bounds: the fast path of polyregions/search/symbolic.py, which holds
 * the pure-Python twin of every function here and the mathematics. In short: every unit
 * carries a lower and an upper linear function of the input x (coefficients, constant)
 * that enclose it on the box; an affine layer combines them by the signs of its
 * weights, a ReLU whose sign is not fixed on the box gets the lines s (z - l) above
 * and lam z below (s = u / (u - l) rounded up, lam = min(s, 1)).
 *
 * Every operation runs with the rounding mode set upward (FE_UPWARD): an upper value
 * is computed directly, a lower value as the negation of an upward-rounded negation.
 * A coefficient computed in floating point is stored once with its rounding spread
 * (hi - lo) times max|x_p| moved into the constant, so each stored linear function
 * encloses the exact one on the box. Weights that doubles do not hold exactly come as
 * a centre and a radius; the radius times the largest |input| is added to the
 * constants. The result is a bound that holds for the exact rational network: floating
 * point never decides more than that. Built with -frounding-math (setup.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fenv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


typedef struct {
    Py_ssize_t n0, nlayers;      /* input dimension, affine layers (the last one: the spec rows) */
    Py_ssize_t *rows;            /* rows[k]: units of layer k; columns: rows[k-1] or n0 */
    Py_buffer wc, wr, bc, br;    /* weights (centre, radius), biases (centre, radius), concatenated */
    int has_radius;              /* some weight radius is not 0 */
} Net;

static void net_release(Net *net) {
    if (net->wc.obj) PyBuffer_Release(&net->wc);
    if (net->wr.obj) PyBuffer_Release(&net->wr);
    if (net->bc.obj) PyBuffer_Release(&net->bc);
    if (net->br.obj) PyBuffer_Release(&net->br);
    free(net->rows);
    net->rows = NULL;
}

/* Parse (n0, rows tuple, wc, wr, bc, br) into *net; 0 on success. */
static int net_parse(PyObject *const *args, Net *net) {
    memset(net, 0, sizeof(*net));
    net->n0 = PyLong_AsSsize_t(args[0]);
    if (net->n0 <= 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "input dimension must be positive");
        return -1;
    }
    PyObject *rows = PySequence_Fast(args[1], "rows must be a sequence");
    if (!rows) return -1;
    net->nlayers = PySequence_Fast_GET_SIZE(rows);
    net->rows = malloc(sizeof(Py_ssize_t) * (net->nlayers + 1));
    if (!net->rows) { Py_DECREF(rows); PyErr_NoMemory(); return -1; }
    Py_ssize_t weights = 0, biases = 0, cols = net->n0;
    for (Py_ssize_t k = 0; k < net->nlayers; k++) {
        net->rows[k] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(rows, k));
        if (net->rows[k] <= 0) {
            Py_DECREF(rows);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "layer widths must be positive");
            return -1;
        }
        weights += net->rows[k] * cols;
        biases += net->rows[k];
        cols = net->rows[k];
    }
    Py_DECREF(rows);
    Py_buffer *bufs[4] = {&net->wc, &net->wr, &net->bc, &net->br};
    Py_ssize_t sizes[4] = {weights, weights, biases, biases};
    for (int i = 0; i < 4; i++) {
        if (PyObject_GetBuffer(args[2 + i], bufs[i], PyBUF_SIMPLE) < 0) return -1;
        if (bufs[i]->len != (Py_ssize_t)sizeof(double) * sizes[i]) {
            PyErr_Format(PyExc_ValueError, "buffer %d holds %zd bytes, expected %zd doubles", i,
                         bufs[i]->len, sizes[i]);
            return -1;
        }
    }
    const double *wr = net->wr.buf;
    for (Py_ssize_t i = 0; i < weights && !net->has_radius; i++) net->has_radius = wr[i] != 0.0;
    return 0;
}

/* The larger of two magnitudes, infinite when either is NaN (fmax would drop a NaN, and a
 * magnitude that overflowed must make the bounds that use it infinite, never smaller). */
static inline double larger(double a, double b) {
    if (a != a || b != b) return INFINITY;
    return a > b ? a : b;
}

/* The widest layer (input included), for scratch sizes. */
static Py_ssize_t widest(const Net *net) {
    Py_ssize_t w = net->n0;
    for (Py_ssize_t k = 0; k < net->nlayers; k++)
        if (net->rows[k] > w) w = net->rows[k];
    return w;
}

/* Upward rounding is in force throughout: dn(x) spelled as -(up(-x)). */

/* One affine layer: from the enclosures (HL, HU: m x (n0+1), hl, hu) of its inputs to
 * those of its outputs (L, U, and concrete l, u). want_upper 0 skips U and u. */
static void affine_step(Py_ssize_t n0, Py_ssize_t rows, Py_ssize_t cols, const double *wc, const double *wr,
                        const double *bc, const double *br, const double *HL, const double *HU,
                        const double *hl, const double *hu, const double *xmag, const double *xl,
                        const double *xu, double *L, double *U, double *l, double *u, int want_upper,
                        double *sums) {
    Py_ssize_t w = n0 + 1;
    for (Py_ssize_t i = 0; i < rows; i++) {
        const double *wi = wc + i * cols, *ri = wr + i * cols;
        double radius = br[i];   /* rounding of weights the doubles do not hold */
        for (Py_ssize_t j = 0; j < cols; j++)
            if (ri[j] != 0.0) radius += ri[j] * larger(fabs(hl[j]), fabs(hu[j]));
        double *Li = L + i * w, *Ui = U + i * w;
        double spreadL = 0.0, spreadU = 0.0;
        /* input by input (contiguous rows, one accumulator per coefficient); lo kept negated */
        double *HIL = sums, *LOL = sums + w, *HIU = sums + 2 * w, *LOU = sums + 3 * w;
        memset(sums, 0, sizeof(double) * 4 * w);
        for (Py_ssize_t j = 0; j < cols; j++) {
            double a = wi[j];
            if (a == 0.0) continue;
            double na = -a;
            const double *first = a > 0.0 ? HL + j * w : HU + j * w;    /* into the lower function */
            const double *second = a > 0.0 ? HU + j * w : HL + j * w;   /* into the upper function */
            for (Py_ssize_t p = 0; p < w; p++) {
                HIL[p] += a * first[p];
                LOL[p] += na * first[p];
                HIU[p] += a * second[p];
                LOU[p] += na * second[p];
            }
        }
        for (Py_ssize_t p = 0; p <= n0; p++) {
            double hiL = HIL[p], loL = LOL[p], hiU = HIU[p], loU = LOU[p];
            /* exact value of the lower coefficient in [-loL, hiL]; of the upper in [-loU, hiU] */
            if (p < n0) {
                Li[p] = -loL;
                Ui[p] = hiU;
                spreadL += (hiL + loL) * xmag[p];
                spreadU += (hiU + loU) * xmag[p];
            } else {
                Li[p] = -(loL + spreadL + radius - bc[i]);
                Ui[p] = hiU + spreadU + radius + bc[i];
            }
        }
        /* concrete bounds over the box */
        double neg = -Li[n0];
        for (Py_ssize_t p = 0; p < n0; p++) {
            double a = Li[p];
            neg += a >= 0.0 ? (-a) * xl[p] : (-a) * xu[p];
        }
        l[i] = -neg;
        if (want_upper) {
            double top = Ui[n0];
            for (Py_ssize_t p = 0; p < n0; p++) {
                double a = Ui[p];
                top += a >= 0.0 ? a * xu[p] : a * xl[p];
            }
            u[i] = top;
        }
    }
}

/* A ReLU on every unit: the enclosures (L, U, l, u) of z become those (HL, HU, hl, hu) of
 * max(z, 0). Returns the count of units whose sign is not fixed on the box. */
static Py_ssize_t relu_step(Py_ssize_t n0, Py_ssize_t rows, const double *L, const double *U, const double *l,
                            const double *u, const double *xmag, double *HL, double *HU, double *hl, double *hu) {
    Py_ssize_t w = n0 + 1, open = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        const double *Li = L + i * w, *Ui = U + i * w;
        double *HLi = HL + i * w, *HUi = HU + i * w;
        if (u[i] <= 0.0) {
            memset(HLi, 0, sizeof(double) * w);
            memset(HUi, 0, sizeof(double) * w);
            hl[i] = hu[i] = 0.0;
        } else if (l[i] >= 0.0) {
            memcpy(HLi, Li, sizeof(double) * w);
            memcpy(HUi, Ui, sizeof(double) * w);
            hl[i] = l[i];
            hu[i] = u[i];
        } else {
            open++;
            double den = -((-u[i]) + l[i]);          /* <= u - l */
            double s = u[i] / den;                   /* >= u / (u - l) */
            double lam = s < 1.0 ? s : 1.0;
            double spreadU = 0.0, spreadL = 0.0;
            for (Py_ssize_t p = 0; p < n0; p++) {
                double hi = s * Ui[p], lo = (-s) * Ui[p];
                HUi[p] = hi;
                spreadU += (hi + lo) * xmag[p];
                double hi2 = lam * Li[p], lo2 = (-lam) * Li[p];
                HLi[p] = -lo2;
                spreadL += (hi2 + lo2) * xmag[p];
            }
            HUi[n0] = s * (Ui[n0] + (-l[i])) + spreadU;   /* s (c - l), upward */
            HLi[n0] = -((-lam) * Li[n0] + spreadL);         /* lam c, downward */
            hl[i] = 0.0;
            hu[i] = u[i];
        }
    }
    return open;
}

/* Back-substitution of spec row *row* (CROWN, DeepPoly): a lower linear function of the
 * input, (coefficients, constant) in out[0..n0], from the pre-activation bounds pl, pu of
 * every hidden unit. A ReLU with a negative coefficient takes its upper line s (z - l); with
 * a positive one a lower line t z, any t in [0, 1] being valid: with *slope* 0 the line z
 * where u > -l, else 0 (DeepPoly's choice), with *slope* 1 t = s, the upper line's slope
 * (CROWN's). Neither is better everywhere: for the spec rows the caller takes the higher of
 * the two bounds (for the hidden units DeepPoly's alone: tighter intervals do not always
 * give tighter rows, as DeepPoly's choices of lines change with them, and measured on ACAS
 * Xu the search did better without).
 * With *alpha* (one slope in [0, 1] per hidden unit, as pl) t = alpha[unit] instead; with
 * *seen* every hidden unit's coefficient is recorded there (for optimize_row).
 * Every float product's rounding spread times the largest |value| of its variable is
 * taken off the constant. */
static void backward(const Net *net, Py_ssize_t top, Py_ssize_t row, double sign, int slope, const double *alpha,
                     double *seen, const double *pl, const double *pu, const double *xmag, double *lam, double *mu,
                     double *acc, double *out) {
    int has_radius = net->has_radius;
    Py_ssize_t n0 = net->n0, K = net->nlayers;
    /* offsets of layer k's weights, biases and units (in pl, pu) */
    Py_ssize_t woff[K + 1], boff[K + 1], cols[K + 1];
    woff[0] = boff[0] = 0;
    cols[0] = n0;
    for (Py_ssize_t k = 0; k < K; k++) {
        woff[k + 1] = woff[k] + net->rows[k] * cols[k];
        boff[k + 1] = boff[k] + net->rows[k];
        cols[k + 1] = net->rows[k];
    }
    const double *wc = net->wc.buf, *wr = net->wr.buf, *bc = net->bc.buf, *br = net->br.buf;
    /* sign times row *row* of layer *top* (sign is +1 or -1: exact), on the outputs h of the
     * hidden layer below it (on x for the first layer) */
    Py_ssize_t width = cols[top];
    const double *first = wc + woff[top] + row * width, *first_r = wr + woff[top] + row * width;
    double cut = br[boff[top] + row];   /* taken off the constant at the end, upward */
    double constant = sign * bc[boff[top] + row];
    for (Py_ssize_t i = 0; i < width; i++) mu[i] = sign * first[i];
    for (Py_ssize_t i = 0; i < width; i++) {
        if (first_r[i] == 0.0) continue;
        double mag = top >= 1 ? larger(pu[boff[top - 1] + i], 0.0) : xmag[i];
        cut += first_r[i] * mag;
    }
    for (Py_ssize_t k = top - 1; k >= 0; k--) {
        /* mu . h_k, h_k = relu(z_k): to nu . z_k (nu in lam) */
        Py_ssize_t units = net->rows[k];
        const double *lo = pl + boff[k], *up = pu + boff[k];
        for (Py_ssize_t j = 0; j < units; j++) {
            double c = mu[j];
            if (seen) seen[boff[k] + j] = c;
            if (up[j] <= 0.0 || c == 0.0) lam[j] = 0.0;
            else if (lo[j] >= 0.0) lam[j] = c;
            else if (c > 0.0 && !slope && !alpha) lam[j] = up[j] > -lo[j] ? c : 0.0;   /* relu(z) >= z or >= 0 */
            else if (c > 0.0) {   /* relu(z) >= t z for any t in [0, 1]: c relu(z) >= (c t) z */
                double t = alpha ? alpha[boff[k] + j] : up[j] / (-((-up[j]) + lo[j]));
                if (!(t >= 0.0)) t = 0.0;
                if (t > 1.0) t = 1.0;   /* (u / (u - l) rounded up from below 1: at most 1) */
                double hi = c * t, low = -((-c) * t);
                lam[j] = hi;
                cut += (hi - low) * larger(-lo[j], up[j]);
            }
            else {   /* relu(z) <= s (z - l): c relu(z) >= (c s) z - (c s) l */
                double den = -((-up[j]) + lo[j]);
                double s = up[j] / den;
                double hi = c * s, low = -((-c) * s);
                lam[j] = hi;
                constant = -((-low) * (-lo[j]) - constant);   /* + low |l|, downward */
                cut += (hi - low) * larger(-lo[j], up[j]);
            }
        }
        /* nu . z_k = nu . (W_k h_{k-1} + b_k): coefficients on h_{k-1} (or x) */
        Py_ssize_t in = cols[k];
        const double *W = wc + woff[k], *R = wr + woff[k], *B = bc + boff[k], *BR = br + boff[k];
        double bias = 0.0;   /* kept negated: -(nu . b) upward */
        for (Py_ssize_t j = 0; j < units; j++) {
            if (lam[j] == 0.0) continue;
            bias += (-lam[j]) * B[j];
            cut += fabs(lam[j]) * BR[j];
        }
        constant = -(bias - constant);
        /* row by row (contiguous, one accumulator per column): hi, low (negated), rad */
        double *hi = acc, *low = acc + in, *rad = acc + 2 * in;
        memset(acc, 0, sizeof(double) * 3 * in);
        for (Py_ssize_t j = 0; j < units; j++) {
            double c = lam[j];
            if (c == 0.0) continue;
            double nc = -c, ac = fabs(c);
            const double *Wj = W + j * in, *Rj = R + j * in;
            for (Py_ssize_t i = 0; i < in; i++) {
                hi[i] += c * Wj[i];
                low[i] += nc * Wj[i];
            }
            if (has_radius)
                for (Py_ssize_t i = 0; i < in; i++) rad[i] += ac * Rj[i];
        }
        for (Py_ssize_t i = 0; i < in; i++) {
            double mag = k >= 1 ? larger(pu[boff[k - 1] + i], 0.0) : xmag[i];
            cut += (hi[i] + low[i] + rad[i]) * mag;
            mu[i] = hi[i];
        }
    }
    memcpy(out, mu, sizeof(double) * n0);
    out[n0] = -(cut - constant);
}

/* A lower bound of spec row *row* (its linear function in line), from back-substitution
 * (backward) with the slope *alpha* of every open unit's lower line: written to *l when
 * higher than what it holds. Returns the bound. */
static double try_slopes(const Net *net, Py_ssize_t row, const double *alpha, double *seen, const double *pl,
                         const double *pu, const double *xl, const double *xu, const double *xmag, double *lam,
                         double *mu, double *acc, double *line, double *l) {
    Py_ssize_t n0 = net->n0;
    backward(net, net->nlayers - 1, row, 1.0, 0, alpha, seen, pl, pu, xmag, lam, mu, acc, line);
    double neg = -line[n0];
    for (Py_ssize_t p = 0; p < n0; p++) neg += line[p] >= 0.0 ? (-line[p]) * xl[p] : (-line[p]) * xu[p];
    if (-neg > *l) *l = -neg;
    return -neg;
}

/* The slopes of the open units' lower lines for spec row *row*, chosen by projected sign-
 * gradient ascent on the row's bound (alpha-CROWN, Xu et al. 2021, with the intermediate
 * intervals fixed): from DeepPoly's slopes (0 or 1) or CROWN's (u / (u - l)), whichever
 * *start* names, ITERATIONS steps, stopping once the bound exceeds *need*. The bound is a
 * function of the slopes whose gradient is, for an open unit j with coefficient c_j > 0,
 * c_j times the unit's pre-activation in the relaxed network at the box vertex where the
 * bound's linear function is least: a forward pass gives them all. Every bound kept comes
 * from backward() with these slopes (each in [0, 1], so each line holds) and its rounding
 * directed outward: the floats here only steer which valid slopes are tried. Only the bound
 * is kept, not its linear function: optimised slopes flatten it, and the search reads the
 * function's coefficients as the directions in which the row grows (which input to split). */
#define ITERATIONS 8
static int optimize_row(const Net *net, Py_ssize_t row, int start, double need, const double *pl,
                        const double *pu, const double *xl, const double *xu, const double *xmag, double *lam,
                        double *mu, double *acc, double *line, double *alpha, double *seen, double *ga, double *gb,
                        double *l, double *best) {
    Py_ssize_t n0 = net->n0, K = net->nlayers, total = 0;
    int improved = 0;
    for (Py_ssize_t k = 0; k + 1 < K; k++) total += net->rows[k];
    for (Py_ssize_t j = 0; j < total; j++)
        alpha[j] = pu[j] <= 0.0 || pl[j] >= 0.0 ? 1.0 : start ? pu[j] / (pu[j] - pl[j]) : pu[j] > -pl[j] ? 1.0 : 0.0;
    for (int it = 0; it < ITERATIONS; it++) {
        double before = *l;
        double bound = try_slopes(net, row, alpha, seen, pl, pu, xl, xu, xmag, lam, mu, acc, line, l);
        if (*l > before) {   /* these slopes gave the best bound so far: kept (a certificate carries them) */
            memcpy(best, alpha, sizeof(double) * total);
            improved = 1;
        }
        if (*l > need || !(bound > -INFINITY) || it + 1 == ITERATIONS) break;
        double step = 0.5 * (ITERATIONS - it) / ITERATIONS;
        /* forward through the relaxed network from the least vertex: ga holds the layer's values */
        for (Py_ssize_t p = 0; p < n0; p++) ga[p] = line[p] >= 0.0 ? xl[p] : xu[p];
        const double *wc = net->wc.buf, *bc = net->bc.buf;
        Py_ssize_t cols = n0, at = 0;
        for (Py_ssize_t k = 0; k + 1 < K; k++) {
            Py_ssize_t units = net->rows[k];
            for (Py_ssize_t j = 0; j < units; j++) {
                const double *Wj = wc + j * cols;
                double z = bc[j];
                for (Py_ssize_t i = 0; i < cols; i++) z += Wj[i] * ga[i];
                Py_ssize_t u = at + j;
                double c = seen[u];
                if (pu[u] <= 0.0) gb[j] = 0.0;
                else if (pl[u] >= 0.0) gb[j] = z;
                else if (c < 0.0) gb[j] = pu[u] / (pu[u] - pl[u]) * (z - pl[u]);
                else {
                    gb[j] = alpha[u] * z;
                    if (c > 0.0) {   /* d bound / d alpha = c z */
                        double a = alpha[u] + (z > 0.0 ? step : z < 0.0 ? -step : 0.0);
                        alpha[u] = a < 0.0 ? 0.0 : a > 1.0 ? 1.0 : a;
                    }
                }
            }
            memcpy(ga, gb, sizeof(double) * units);
            wc += units * cols;
            bc += units;
            at += units;
            cols = units;
        }
    }
    return improved;
}

/* bounds(n0, rows, wc, wr, bc, br, xl, xu, tighten, parent[, need])
 *     -> (lower, coefficients, open units, states, intervals, slopes)
 *
 * lower[i]: a lower bound of spec row i (the last layer) over the box [xl, xu];
 * coefficients[i]: the n0 input coefficients of row i's lower linear function;
 * open: units whose sign the bounds leave open, per hidden layer; states: one byte per
 * hidden unit, 0 (never positive on the box), 1 (never negative) or 2 (open). With tighten, the
 * interval of every unit the forward pass leaves open (from the second layer on) is
 * tightened by back-substitution before the ReLU is relaxed (DeepPoly). intervals: the
 * pre-activation intervals of the hidden units (all lows, then all highs, as doubles);
 * passing a box's intervals as *parent* for a box inside it intersects them in. With *need*
 * (one double per spec row), the slopes of a row whose bound is not above its need are
 * optimised for it (optimize_row); slopes[i]: the slopes (one double per hidden unit) of
 * row i's bound when the optimisation raised it, else None. */
static PyObject *b_bounds(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10 && nargs != 11) {
        PyErr_SetString(PyExc_TypeError, "bounds takes 10 or 11 arguments");
        return NULL;
    }
    int optimize = nargs == 11 && args[10] != Py_None;
    Py_buffer bneed = {0};
    int tighten = PyObject_IsTrue(args[8]);
    if (tighten < 0) return NULL;
    int parent = args[9] != Py_None;
    Py_buffer bpar = {0};
    Net net;
    PyObject *out = NULL;
    Py_buffer bxl = {0}, bxu = {0};
    double *scratch = NULL;
    if (net_parse(args, &net) < 0) goto done;
    if (PyObject_GetBuffer(args[6], &bxl, PyBUF_SIMPLE) < 0 || PyObject_GetBuffer(args[7], &bxu, PyBUF_SIMPLE) < 0)
        goto done;
    Py_ssize_t n0 = net.n0, w = n0 + 1, m = widest(&net);
    if (bxl.len != (Py_ssize_t)sizeof(double) * n0 || bxu.len != (Py_ssize_t)sizeof(double) * n0) {
        PyErr_SetString(PyExc_ValueError, "the box must have one low and one high double per input");
        goto done;
    }
    const double *xl = bxl.buf, *xu = bxu.buf;
    Py_ssize_t total = 0;   /* hidden units */
    for (Py_ssize_t k = 0; k + 1 < net.nlayers; k++) total += net.rows[k];
    if (optimize) {
        if (PyObject_GetBuffer(args[10], &bneed, PyBUF_SIMPLE) < 0) goto done;
        if (bneed.len != (Py_ssize_t)sizeof(double) * net.rows[net.nlayers - 1]) {
            PyErr_SetString(PyExc_ValueError, "need must hold one double per spec row");
            goto done;
        }
    }
    if (parent) {
        if (PyObject_GetBuffer(args[9], &bpar, PyBUF_SIMPLE) < 0) goto done;
        if (bpar.len != (Py_ssize_t)sizeof(double) * 2 * total) {
            PyErr_SetString(PyExc_ValueError, "the parent's intervals must be 2 doubles per hidden unit");
            goto done;
        }
    }
    /* scratch: HL, HU, L, U (m x w each), hl, hu, l, u (m each), xmag (n0), the pre-activation
     * bounds of every hidden unit (pl, pu), lam, mu (m each) */
    scratch = malloc(sizeof(double) * (4 * m * w + 6 * m + n0 + 2 * total + w + 3 * m + 4 * w + 2 * total + 2 * m));
    if (!scratch) { PyErr_NoMemory(); goto done; }
    double *HL = scratch, *HU = HL + m * w, *L = HU + m * w, *U = L + m * w;
    double *hl = U + m * w, *hu = hl + m, *l = hu + m, *u = l + m, *xmag = u + m;
    double *pl = xmag + n0, *pu = pl + total, *lam = pu + total, *mu = lam + m, *line = mu + m;
    double *acc = line + w, *sums = acc + 3 * m, *alpha = sums + 4 * w, *seen = alpha + total, *ga = seen + total;
    double *gb = ga + m;
    for (Py_ssize_t p = 0; p < n0; p++) xmag[p] = larger(fabs(xl[p]), fabs(xu[p]));
    /* the inputs enclose themselves */
    memset(HL, 0, sizeof(double) * n0 * w);
    for (Py_ssize_t p = 0; p < n0; p++) {
        HL[p * w + p] = 1.0;
        hl[p] = xl[p];
        hu[p] = xu[p];
    }
    memcpy(HU, HL, sizeof(double) * n0 * w);
    PyObject *open = PyList_New(net.nlayers - 1);
    if (!open) goto done;
    PyObject *states = PyBytes_FromStringAndSize(NULL, total);   /* per hidden unit: 0 off, 1 on, 2 open */
    if (!states) { Py_DECREF(open); goto done; }
    char *state = PyBytes_AS_STRING(states);
    int saved = fegetround();
    fesetround(FE_UPWARD);
    const double *wc = net.wc.buf, *wr = net.wr.buf, *bc = net.bc.buf, *br = net.br.buf;
    Py_ssize_t cols = n0, at = 0;
    for (Py_ssize_t k = 0; k < net.nlayers; k++) {
        Py_ssize_t rows = net.rows[k];
        int last = k == net.nlayers - 1;
        affine_step(n0, rows, cols, wc, wr, bc, br, HL, HU, hl, hu, xmag, xl, xu, L, U, l, u, !last, sums);
        if (!last && parent) {   /* the parent box's intervals hold on this box too */
            const double *ppl = (const double *)bpar.buf + at, *ppu = (const double *)bpar.buf + total + at;
            for (Py_ssize_t i = 0; i < rows; i++) {
                if (ppl[i] > l[i]) l[i] = ppl[i];
                if (ppu[i] < u[i]) u[i] = ppu[i];
            }
        }
        if (!last && k >= 1 && tighten) {
            /* back-substitution for the units the forward pass leaves open */
            for (Py_ssize_t i = 0; i < rows; i++) {
                if (!(l[i] < 0.0 && u[i] > 0.0)) continue;
                for (int side = 0; side < 2; side++) {
                    backward(&net, k, i, side ? -1.0 : 1.0, 0, NULL, NULL, pl, pu, xmag, lam, mu, acc, line);
                    double neg = -line[n0];
                    for (Py_ssize_t p = 0; p < n0; p++) {
                        double a = line[p];
                        neg += a >= 0.0 ? (-a) * xl[p] : (-a) * xu[p];
                    }
                    /* -neg is a lower bound of (side ? -z : z) */
                    if (side) { if (neg < u[i]) u[i] = neg; }
                    else if (-neg > l[i]) l[i] = -neg;
                }
                if (l[i] > u[i]) l[i] = u[i];   /* cannot happen exactly; keeps the relaxation defined */
            }
        }
        if (!last) {
            for (Py_ssize_t i = 0; i < rows; i++) state[at + i] = u[i] <= 0.0 ? 0 : l[i] >= 0.0 ? 1 : 2;
            memcpy(pl + at, l, sizeof(double) * rows);
            memcpy(pu + at, u, sizeof(double) * rows);
            at += rows;
            Py_ssize_t count = relu_step(n0, rows, L, U, l, u, xmag, HL, HU, hl, hu);
            PyList_SET_ITEM(open, k, PyLong_FromSsize_t(count));
        }
        wc += rows * cols;
        wr += rows * cols;
        bc += rows;
        br += rows;
        cols = rows;
    }
    Py_ssize_t q = net.rows[net.nlayers - 1];
    /* back-substitution of every spec row, with both lower slopes: a tighter bound, kept
     * (with its linear function) when it is higher */
    double *back = malloc(sizeof(double) * (q * w));
    if (!back) { fesetround(saved); Py_DECREF(open); Py_DECREF(states); PyErr_NoMemory(); goto done; }
    PyObject *slopes = PyList_New(q);   /* per row: the optimised slopes of its bound (doubles), or None */
    double *best = malloc(sizeof(double) * (total > 0 ? total : 1));
    if (!slopes || !best) {
        Py_XDECREF(slopes); free(best); free(back); fesetround(saved); Py_DECREF(open); Py_DECREF(states);
        PyErr_NoMemory(); goto done;
    }
    for (Py_ssize_t i = 0; i < q; i++) {
        int start = 0;
        for (int slope = 0; slope < 2; slope++) {
            backward(&net, net.nlayers - 1, i, 1.0, slope, NULL, NULL, pl, pu, xmag, lam, mu, acc, back + i * w);
            double neg = -back[i * w + n0];
            for (Py_ssize_t p = 0; p < n0; p++) {
                double a = back[i * w + p];
                neg += a >= 0.0 ? (-a) * xl[p] : (-a) * xu[p];
            }
            if (-neg > l[i]) {
                l[i] = -neg;
                start = slope;
                memcpy(L + i * w, back + i * w, sizeof(double) * w);
            }
        }
        /* slopes optimised for the rows whose bound does not exceed what is needed yet */
        int improved = 0;
        if (optimize && !(l[i] > ((const double *)bneed.buf)[i]) && total > 0)
            improved = optimize_row(&net, i, start, ((const double *)bneed.buf)[i], pl, pu, xl, xu, xmag, lam, mu,
                                    acc, line, alpha, seen, ga, gb, l + i, best);
        PyObject *row_slopes = improved ? PyBytes_FromStringAndSize((const char *)best, sizeof(double) * total)
                                        : (Py_INCREF(Py_None), Py_None);
        if (!row_slopes) {
            Py_DECREF(slopes); free(best); free(back); fesetround(saved); Py_DECREF(open); Py_DECREF(states);
            goto done;
        }
        PyList_SET_ITEM(slopes, i, row_slopes);
    }
    free(best);
    free(back);
    fesetround(saved);
    PyObject *lower = PyList_New(q), *coefs = PyList_New(q);
    if (!lower || !coefs) {
        Py_XDECREF(lower); Py_XDECREF(coefs); Py_DECREF(open); Py_DECREF(states); Py_DECREF(slopes); goto done;
    }
    for (Py_ssize_t i = 0; i < q; i++) {
        PyList_SET_ITEM(lower, i, PyFloat_FromDouble(l[i]));
        PyObject *row = PyList_New(n0);
        for (Py_ssize_t p = 0; p < n0; p++) PyList_SET_ITEM(row, p, PyFloat_FromDouble(L[i * w + p]));
        PyList_SET_ITEM(coefs, i, row);
    }
    PyObject *intervals = PyBytes_FromStringAndSize(NULL, sizeof(double) * 2 * total);
    if (!intervals) {
        Py_DECREF(lower); Py_DECREF(coefs); Py_DECREF(open); Py_DECREF(states); Py_DECREF(slopes); goto done;
    }
    memcpy(PyBytes_AS_STRING(intervals), pl, sizeof(double) * total);
    memcpy(PyBytes_AS_STRING(intervals) + sizeof(double) * total, pu, sizeof(double) * total);
    out = PyTuple_Pack(6, lower, coefs, open, states, intervals, slopes);
    Py_DECREF(slopes);
    Py_DECREF(intervals);
    Py_DECREF(lower);
    Py_DECREF(coefs);
    Py_DECREF(open);
    Py_DECREF(states);
done:
    free(scratch);
    if (bneed.obj) PyBuffer_Release(&bneed);
    if (bpar.obj) PyBuffer_Release(&bpar);
    if (bxl.obj) PyBuffer_Release(&bxl);
    if (bxu.obj) PyBuffer_Release(&bxu);
    net_release(&net);
    return out;
}

/* Plain floating point (round to nearest), for the attacks only: what they find is checked
 * by an exact forward pass. */

/* Units of the input and of every layer (the size of forward_all's output). */
static Py_ssize_t all_units(const Net *net) {
    Py_ssize_t total = net->n0;
    for (Py_ssize_t k = 0; k < net->nlayers; k++) total += net->rows[k];
    return total;
}

/* The network at *point*: acts holds the input, then every layer's outputs (after its
 * ReLU; the spec rows last). */
static void forward_all(const Net *net, const double *point, double *acts) {
    memcpy(acts, point, sizeof(double) * net->n0);
    const double *wc = net->wc.buf, *bc = net->bc.buf;
    Py_ssize_t in_at = 0, out_at = net->n0, cols = net->n0;
    for (Py_ssize_t k = 0; k < net->nlayers; k++) {
        Py_ssize_t rows = net->rows[k];
        for (Py_ssize_t i = 0; i < rows; i++) {
            double v = bc[i];
            for (Py_ssize_t j = 0; j < cols; j++) v += wc[i * cols + j] * acts[in_at + j];
            acts[out_at + i] = (k < net->nlayers - 1 && v < 0.0) ? 0.0 : v;
        }
        wc += rows * cols;
        bc += rows;
        in_at = out_at;
        out_at += rows;
        cols = rows;
    }
}

/* evaluate(n0, rows, wc, wr, bc, br, points) -> the spec rows at each point. */
static PyObject *b_evaluate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "evaluate takes 7 arguments");
        return NULL;
    }
    Net net;
    PyObject *out = NULL;
    Py_buffer pts = {0};
    double *acts = NULL;
    if (net_parse(args, &net) < 0) goto done;
    if (PyObject_GetBuffer(args[6], &pts, PyBUF_SIMPLE) < 0) goto done;
    Py_ssize_t n0 = net.n0, total = all_units(&net), q = net.rows[net.nlayers - 1];
    Py_ssize_t count = pts.len / (Py_ssize_t)sizeof(double) / n0;
    if (count * n0 * (Py_ssize_t)sizeof(double) != pts.len) {
        PyErr_SetString(PyExc_ValueError, "points must hold a multiple of the input dimension of doubles");
        goto done;
    }
    acts = malloc(sizeof(double) * total);
    if (!acts) { PyErr_NoMemory(); goto done; }
    out = PyList_New(count);
    if (!out) goto done;
    for (Py_ssize_t c = 0; c < count; c++) {
        forward_all(&net, (const double *)pts.buf + c * n0, acts);
        PyObject *row = PyList_New(q);
        if (!row) { Py_CLEAR(out); goto done; }
        for (Py_ssize_t i = 0; i < q; i++) PyList_SET_ITEM(row, i, PyFloat_FromDouble(acts[total - q + i]));
        PyList_SET_ITEM(out, c, row);
    }
done:
    free(acts);
    if (pts.obj) PyBuffer_Release(&pts);
    net_release(&net);
    return out;
}

/* gradient(n0, rows, wc, wr, bc, br, point) -> (values, gradients)
 *
 * The spec rows at *point* and the input gradient of each row there (through the ReLUs
 * active at the point): one forward pass, one backward pass per row. */
static PyObject *b_gradient(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "gradient takes 7 arguments");
        return NULL;
    }
    Net net;
    PyObject *out = NULL, *values = NULL, *grads = NULL;
    Py_buffer pt = {0};
    double *acts = NULL;
    if (net_parse(args, &net) < 0) goto done;
    if (PyObject_GetBuffer(args[6], &pt, PyBUF_SIMPLE) < 0) goto done;
    Py_ssize_t n0 = net.n0, K = net.nlayers, q = net.rows[K - 1], total = all_units(&net), m = widest(&net);
    if (pt.len != (Py_ssize_t)sizeof(double) * n0) {
        PyErr_SetString(PyExc_ValueError, "the point must have one double per input");
        goto done;
    }
    /* every layer's outputs, two gradient rows, then each layer's weight offset */
    acts = malloc(sizeof(double) * (total + 2 * m) + sizeof(Py_ssize_t) * K);
    if (!acts) { PyErr_NoMemory(); goto done; }
    Py_ssize_t *woffs = (Py_ssize_t *)(acts + total + 2 * m);
    for (Py_ssize_t k = 0, woff = 0, cols = n0; k < K; k++) {
        woffs[k] = woff;
        woff += net.rows[k] * cols;
        cols = net.rows[k];
    }
    forward_all(&net, pt.buf, acts);
    const double *wc = net.wc.buf;
    values = PyList_New(q);
    grads = PyList_New(q);
    if (!values || !grads) goto done;
    for (Py_ssize_t r = 0; r < q; r++) {
        PyList_SET_ITEM(values, r, PyFloat_FromDouble(acts[total - q + r]));
        /* backward from row r: g over layer k's outputs, down to the input */
        double *g = acts + total, *h = g + m;
        for (Py_ssize_t i = 0; i < q; i++) g[i] = i == r ? 1.0 : 0.0;
        Py_ssize_t at = total - q;   /* start of layer k's outputs */
        for (Py_ssize_t k = K - 1; k >= 0; k--) {
            Py_ssize_t rows = net.rows[k], in = k ? net.rows[k - 1] : n0;
            if (k < K - 1)
                for (Py_ssize_t i = 0; i < rows; i++) if (acts[at + i] <= 0.0) g[i] = 0.0;
            for (Py_ssize_t j = 0; j < in; j++) h[j] = 0.0;
            for (Py_ssize_t i = 0; i < rows; i++) {
                if (g[i] == 0.0) continue;
                const double *W = wc + woffs[k] + i * in;
                for (Py_ssize_t j = 0; j < in; j++) h[j] += g[i] * W[j];
            }
            double *t = g; g = h; h = t;
            at -= in;
        }
        PyObject *grad = PyList_New(n0);
        if (!grad) goto done;
        for (Py_ssize_t p = 0; p < n0; p++) PyList_SET_ITEM(grad, p, PyFloat_FromDouble(g[p]));
        PyList_SET_ITEM(grads, r, grad);
    }
    out = PyTuple_Pack(2, values, grads);
done:
    Py_XDECREF(values);
    Py_XDECREF(grads);
    free(acts);
    if (pt.obj) PyBuffer_Release(&pt);
    net_release(&net);
    return out;
}

static PyMethodDef methods[] = {
    {"gradient", (PyCFunction)(void (*)(void))b_gradient, METH_FASTCALL,
     "gradient(n0, rows, wc, wr, bc, br, point) -> (values, gradients)"},
    {"bounds", (PyCFunction)(void (*)(void))b_bounds, METH_FASTCALL,
     "bounds(n0, rows, wc, wr, bc, br, xl, xu, tighten, parent[, need]) -> (lower, coefficients, open, states, "
     "intervals)"},
    {"evaluate", (PyCFunction)(void (*)(void))b_evaluate, METH_FASTCALL,
     "evaluate(n0, rows, wc, wr, bc, br, points) -> values"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bounds",
                                    "Rigorous symbolic interval bounds in doubles (see symbolic.py).", -1, methods};

PyMODINIT_FUNC PyInit__bounds(void) { return PyModule_Create(&module); }
