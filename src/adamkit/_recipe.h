/* _recipe.h -- a preset's compiled scalar recipe, run at every step without Python.

   presets/_recipe.py records what a recipe does with the step count t and the learning
   rate lr as a straight-line program of (op, dst, a, b, c) rows over double registers
   (float32 values are held exactly as doubles). Each row is one operation rounded as
   the framework rounds it: a float op, a double op or a libm call; rows are separate
   statements, so nothing is contracted (and the module is built with
   -ffp-contract=off). The op numbers are the order of _recipe.OPS. */
#ifndef ADAMKIT_RECIPE_H
#define ADAMKIT_RECIPE_H

#include <Python.h>            /* PyOS_double_to_string: Python's repr of a float */
#include <float.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "adam_c_internal.h"

#define AK_R_MAX 256
#define AK_MEM_SLOTS 4

enum {
    AK_ADD64, AK_SUB64, AK_MUL64, AK_DIV64, AK_ADD32, AK_SUB32, AK_MUL32, AK_DIV32,
    AK_SQRT64, AK_SQRT32, AK_POW64, AK_POW32, AK_FMA64, AK_FMA32, AK_EXP64, AK_EXP32,
    AK_COS64, AK_COS32, AK_TO32, AK_NEG, AK_FTZ64, AK_FTZ32, AK_MKLSQRT64, AK_MKLSQRT32,
    AK_PROD32, AK_MXPARSE64, AK_MXPARSE32, AK_NOPS
};

static inline double ak_ftz(double x, double tiny)
{ return fabs(x) >= tiny || x != x ? x : copysign(0.0, x); }

/* The t-th element of the float32 running product of b, each product flushed to zero
   below FLT_MIN; mem holds the last (t, product) asked for, {0, 0} at first. */
static double ak_running_product(float b, double t, double *mem)
{
    if (!(t >= 1.0))
        return NAN;
    if (!(mem[0] >= 1.0 && mem[0] <= t)) {
        mem[0] = 1.0;
        mem[1] = (double)b;
    }
    float x = (float)mem[1];
    for (double i = mem[0]; i < t && x != 0.0f; i += 1.0) {
        x = x * b;
        if (!(fabsf(x) >= FLT_MIN))
            x = 0.0f;
    }
    mem[0] = t;
    mem[1] = (double)x;
    return (double)x;
}

/* dmlc::ParseFloat<float> (f32) or <double> of the text s (dmlc-core's own parser, not
   correctly rounded; presets/mxnet.py dmlc_parse is the same in Python): the integer
   part, up to 19 fraction digits as an integer over a power of ten (in double) added in
   the target type, then the exponent applied as products of 1e8 and 10. */
static double ak_dmlc_parse(const char *p, int f32)
{
    int neg = 0, negexp = 0, count = 0;
    unsigned long long ip = 0, frac = 0, pow10 = 1;
    long e = 0;
    if (*p == '+' || *p == '-') { neg = *p == '-'; p++; }
    while (*p >= '0' && *p <= '9') { ip = ip * 10 + (unsigned)(*p - '0'); p++; }
    float vf = (float)ip, sf = 1.0f;
    double vd = (double)ip, sd = 1.0;
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, count++)
            if (count < 19) { frac = frac * 10 + (unsigned)(*p - '0'); pow10 *= 10; }
        const double x = (double)frac / (double)pow10;
        if (f32) vf = vf + (float)x; else vd = vd + x;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        negexp = *p == '-';
        if (*p == '+' || *p == '-') p++;
        e = strtol(p, NULL, 10);
        for (; e >= 8; e -= 8) { sf = sf * 1e8f; sd = sd * 1e8; }
        for (; e > 0; e--) { sf = sf * 10.0f; sd = sd * 10.0; }
        if (f32) vf = negexp ? vf / sf : vf * sf; else vd = negexp ? vd / sd : vd * sd;
    }
    return f32 ? (double)(neg ? -vf : vf) : (neg ? -vd : vd);
}

/* MXNet's front end: dmlc::ParseFloat of str(x) (CPython's repr; needs the GIL, which
   every caller of ak_recipe_run holds). NaN if the text cannot be made. */
static double ak_mx_parse(double x, int f32)
{
    char *s = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (s == NULL) {
        PyErr_Clear();
        return NAN;
    }
    const double v = ak_dmlc_parse(s, f32);
    PyMem_Free(s);
    return v;
}

/* Run `k` rows of `code` on registers r (r[0] = t, r[1] = lr, constants in place; at
   least AK_R_MAX of them) and the memory slots mem (2 * AK_MEM_SLOTS doubles, kept from
   step to step); the scalars are then r[outputs[i]]. Returns 0, or -1 for a row the
   program cannot hold (checked when the program was made; kept as a guard). */
static int ak_recipe_run(const int *code, long k, double *r, double *mem)
{
    for (long i = 0; i < k; i++) {
        const int *c = code + 5 * i;
        const int op = c[0], d = c[1];
        if (op < 0 || op >= AK_NOPS || d < 2 || d >= AK_R_MAX || c[2] < 0 ||
            c[2] >= AK_R_MAX || c[3] < 0 || c[3] >= AK_R_MAX || c[4] < 0 || c[4] >= AK_R_MAX)
            return -1;
        const double a = r[c[2]], b = r[c[3]], e = r[c[4]];
        const float fa = (float)a, fb = (float)b, fe = (float)e;
        switch (op) {
        case AK_ADD64: r[d] = a + b; break;
        case AK_SUB64: r[d] = a - b; break;
        case AK_MUL64: r[d] = a * b; break;
        case AK_DIV64: r[d] = a / b; break;
        case AK_ADD32: r[d] = (double)(fa + fb); break;
        case AK_SUB32: r[d] = (double)(fa - fb); break;
        case AK_MUL32: r[d] = (double)(fa * fb); break;
        case AK_DIV32: r[d] = (double)(fa / fb); break;
        case AK_SQRT64: r[d] = sqrt(a); break;
        case AK_SQRT32: r[d] = (double)sqrtf(fa); break;
        case AK_POW64: r[d] = pow(a, b); break;
        case AK_POW32: r[d] = (double)powf(fa, fb); break;
        case AK_FMA64: r[d] = fma(a, b, e); break;
        case AK_FMA32: r[d] = (double)fmaf(fa, fb, fe); break;
        case AK_EXP64: r[d] = exp(a); break;
        case AK_EXP32: r[d] = (double)expf(fa); break;
        case AK_COS64: r[d] = cos(a); break;
        case AK_COS32: r[d] = (double)cosf(fa); break;
        case AK_TO32: r[d] = (double)fa; break;
        case AK_NEG: r[d] = -a; break;
        case AK_FTZ64: r[d] = ak_ftz(a, DBL_MIN); break;
        case AK_FTZ32: r[d] = ak_ftz(a, FLT_MIN); break;
        /* c[4] is an immediate here: 1 + (the estimate is the portable model) */
        case AK_MKLSQRT64: r[d] = adam_c_mkl_sqrt_f64(c[4] - 1, a); break;
        case AK_MKLSQRT32: r[d] = (double)adam_c_mkl_sqrt_f32(c[4] - 1, fa); break;
        /* c[4] is an immediate: the memory slot */
        case AK_PROD32:
            if (c[4] >= AK_MEM_SLOTS)
                return -1;
            r[d] = ak_running_product(fa, b, mem + 2 * c[4]);
            break;
        case AK_MXPARSE64: r[d] = ak_mx_parse(a, 0); break;
        case AK_MXPARSE32: r[d] = ak_mx_parse(a, 1); break;
        }
    }
    return 0;
}

#endif
