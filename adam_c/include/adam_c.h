/*
 * adam_c.h -- the contract of adamkit's portable C99 core.
 *
 * One-pass, in-place, per-element Adam-family and RMSProp updates on contiguous float32
 * and float64 buffers. No allocation, no threads, no global state, no Python: a caller may
 * split [0, n) into any sub-ranges and run them on any threads; every element's result
 * depends only on that element's inputs, so the bits never depend on the split.
 *
 * ---------------------------------------------------------------------------------------
 * Why "ops" and "scalars"
 * ---------------------------------------------------------------------------------------
 * Frameworks agree on the algebra of Adam and disagree on its rounding: where epsilon sits,
 * whether the first moment is m + (g - m)*c1, b1*m + c1*g or fma(c1, g - m, m), whether
 * the bias correction is folded into the step size or applied to v, ... Each such choice
 * is one field of an ops struct (adam_c_adam_ops, adam_c_rmsprop_ops), and each value of a
 * field names one exact sequence of IEEE operations, written out below. A framework's
 * kernel is then a row of small integers, not a copy of the loop.
 *
 * The per-call scalars (adam_c_adam_scalars, adam_c_rmsprop_scalars) arrive as doubles and
 * are converted to the buffer's type once per call. A caller that reproduces a framework
 * computes them the way that framework does (e.g. 1 - beta1 in double, or in float from a
 * float-rounded beta1) and passes values already representable in the buffer's type; the
 * conversion is then exact. adam_c_adam_default() fills them for adamkit's own mode
 * from (lr, beta1, beta2, eps, weight_decay, t).
 *
 * Notation in the comments: every operation is one IEEE operation in the buffer's type T,
 * rounded to nearest; fma(a, b, c) = a*b + c rounded once (C99 fma/fmaf); sqrt is the
 * correctly rounded square root; powf/pow is the C library's. The core is compiled with
 * FP contraction off (-ffp-contract=off) and never with -ffast-math, so the written order
 * is the executed order, in the vectorized body and in the scalar tail alike.
 *
 * Errors: functions return ADAM_C_OK (0) or a negative adam_c_status and, on error, write
 * nothing. n may be 0. Buffers must not overlap one another; p and g must be distinct.
 *
 * Which CPU: where a framework's bits come from an implementation-defined instruction (the
 * reciprocal-square-root estimates), an ops field names the instruction's behaviour and
 * the core computes it with this CPU's instruction when that gives the same bits, else
 * with an exact software model (estimates.c): results never depend on the machine that
 * runs them, except for ADAM_C_EST_HOST, which asks for this machine's own.
 */
#ifndef ADAM_C_H
#define ADAM_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(ADAM_C_BUILD_SHARED)
#define ADAM_C_API __declspec(dllexport)
#elif defined(__GNUC__)
#define ADAM_C_API __attribute__((visibility("default")))
#else
#define ADAM_C_API
#endif

#define ADAM_C_VERSION_MAJOR 0
#define ADAM_C_VERSION_MINOR 1

/* Return codes. Must agree with adamkit._kernels.STATUS (a test parses this header). */
typedef enum adam_c_status {
    ADAM_C_OK = 0,
    ADAM_C_ENULL = -1,     /* a required buffer is NULL while n > 0 */
    ADAM_C_EOPS = -2,      /* an ops field holds an unknown value, or one this build
                              cannot honour (ftz off x86)                              */
    ADAM_C_EARG = -3       /* adam_c_*_default: a hyper-parameter out of its range     */
} adam_c_status;

/* ------------------------------------------------------------------------------------- */
/* Stages shared by both families: the gradient, and decoupled weight decay.             */
/* ------------------------------------------------------------------------------------- */

/* grad_scale: applied first (after maximize negates g). */
enum {
    ADAM_C_GSCALE_NONE = 0,    /* g                                               */
    ADAM_C_GSCALE_MUL = 1,     /* g * gmul     (MXNet rescale_grad, global clip)  */
    ADAM_C_GSCALE_MULDIV = 2,  /* (g * gmul) / gdiv  (Keras per-tensor clipnorm)  */
    ADAM_C_GSCALE_MULMUL = 3   /* (g * gmul) * gdiv  (the same after XLA turns the
                                  division into a reciprocal multiply)             */
};
/* grad_decay: weight decay added to the gradient ("L2"/"L1"), after grad_scale. */
enum {
    ADAM_C_GDECAY_NONE = 0,
    ADAM_C_GDECAY_L2 = 1,      /* g + p * wd                                      */
    ADAM_C_GDECAY_L2_FMA = 2,  /* fma(p, wd, g)                                   */
    ADAM_C_GDECAY_L1_FMA = 3,  /* fma(wd, sign(p), g); sign(0) = 0                */
    ADAM_C_GDECAY_L1 = 4       /* g + wd * sign(p)                                */
};
/* grad_clip: after grad_decay. */
enum {
    ADAM_C_GCLIP_NONE = 0,
    ADAM_C_GCLIP_VALUE = 1     /* g > clip ? clip : (g < -clip ? -clip : g)       */
};
/* decoupled: decay of p itself, before the moments are updated (p' below). */
enum {
    ADAM_C_DECOUPLED_NONE = 0,
    ADAM_C_DECOUPLED_MUL = 1,     /* p' = p * dk          (PyTorch AdamW: dk = 1 - lr*wd) */
    ADAM_C_DECOUPLED_SUBMUL = 2,  /* p' = p - (p * dk) * dlr   (Keras: dk = wd, dlr = lr) */
    ADAM_C_DECOUPLED_FMA = 3      /* p' = fma(-p, dk, p)       (Keras-JAX: dk = lr * wd) */
};

/* ------------------------------------------------------------------------------------- */
/* Adam family: Adam, AMSGrad, AdamW, AdaMax, Nesterov                                    */
/* ------------------------------------------------------------------------------------- */

/* first: the first moment m. */
enum {
    ADAM_C_M_LERP = 0,        /* m + (g - m) * c1                                 */
    ADAM_C_M_AXPBY = 1,       /* b1 * m + c1 * g                                  */
    ADAM_C_M_LERP_FMA = 2,    /* fma(c1, g - m, m)          (PyTorch >= 2.1 lerp) */
    ADAM_C_M_SCAL_FMA = 3,    /* fma(c1, g, m * b1)         (scal, then FMA axpy) */
    ADAM_C_M_AXPBY_FMA = 4,   /* fma(b1, m, c1 * g)                               */
    ADAM_C_M_LERP_FMA_HI = 5, /* fma(c1, g - m, g)  (PyTorch lerp, weight >= 0.5:
                                 the caller passes c1 = weight - 1)                */
    ADAM_C_M_LERP_FMA_GS = 6  /* fma(c1, fma(g0, gmul, -m), m), g0 the gradient before
                                 grad_scale: the scaled gradient g = g0 * gmul (which
                                 the other stages see) is contracted into g - m
                                 (Keras-JAX clipnorm under jit; with GSCALE_MUL)   */
};
/* second: the second moment v (or the AdaMax infinity norm u). */
enum {
    ADAM_C_V_LERP = 0,         /* v + (g*g - v) * c2                              */
    ADAM_C_V_AXPBY = 1,        /* b2 * v + c2 * (g*g)                             */
    ADAM_C_V_AXPBY_CG = 2,     /* b2 * v + (c2 * g) * g                           */
    ADAM_C_V_SCAL_FMA = 3,     /* fma(c2, g*g, v * b2)                            */
    ADAM_C_V_AXPBY_FMA = 4,    /* fma(b2, v, c2 * (g*g))                          */
    ADAM_C_V_MAX = 5,          /* max(b2 * v, |g|)                       AdaMax   */
    ADAM_C_V_MAX_EPS = 6,      /* max(b2 * v, |g| + eps)   (Torch7, optax AdaMax) */
    ADAM_C_V_SCAL_ADDCMUL = 7, /* v * b2 + (c2 * g) * g   (mul, then addcmul)     */
    ADAM_C_V_SCAL_FMA_CG = 8,  /* fma(c2 * g, g, v * b2)     (PyTorch addcmul)    */
    ADAM_C_V_FMA_SCAL_CG = 9,  /* fma(v, b2, (c2 * g) * g)  (PyTorch fused tail)  */
    ADAM_C_V_LERP_FMA2 = 10    /* fma(c2, fma(g, g, -v), v)       (XLA, Keras-JAX) */
};
/* numer: the numerator n of the step (uses the new m). */
enum {
    ADAM_C_NUM_M = 0,          /* m                                               */
    ADAM_C_NUM_NESTEROV = 1,   /* g * c1 + b1 * m           (TF use_nesterov)     */
    ADAM_C_NUM_NADAM = 2,      /* b1 * (m * bc1n) + c1 * (g * bc1)   (optax nadam;
                                  bc1 = 1/(1-b1^t), bc1n = 1/(1-b1^(t+1)))         */
    ADAM_C_NUM_NADAM_FMA = 3,  /* fma(m * bc1n, b1, c1 * (g * bc1))  (optax, jit) */
    ADAM_C_NUM_NADAM_DIV = 4,  /* b1 * (m / bc1n) + c1 * (g / bc1)   (optax with several
                                  arrays, eager: bc1 = 1-b1^t, bc1n = 1-b1^(t+1))  */
    ADAM_C_NUM_NADAM_DIV_FMA = 5 /* fma(m / bc1n, b1, c1 * (g / bc1))  (the same, jit) */
};
/* denom: the denominator d, from w = v, or w = vhat = max(vhat, v) with amsgrad. */
enum {
    ADAM_C_D_SQRT_EPS = 0,       /* sqrt(w) + eps     (epsilon-hat form)          */
    ADAM_C_D_SQRT_BC_EPS = 1,    /* sqrt(w) / bc2 + eps   (PyTorch; bc2 = sqrt(1-b2^t)) */
    ADAM_C_D_BC_SQRT_EPS = 2,    /* sqrt(w / bc2 + eps_root) + eps  (optax; bc2 = 1-b2^t) */
    ADAM_C_D_POW_EPS = 3,        /* pow(w, 0.5) + eps      (Caffe's powx)         */
    ADAM_C_D_EPS = 4,            /* w + eps                (AdaMax)               */
    ADAM_C_D_NONE = 5,           /* w                      (AdaMax without eps)   */
    ADAM_C_D_MULBC_SQRT_EPS = 6, /* sqrt(w * bc2) + eps  (optax; bc2 = 1/(1-b2^t)) */
    ADAM_C_D_FMABC_SQRT_EPS = 7, /* sqrt(fma(w, bc2, eps_root)) + eps  (optax jit) */
    ADAM_C_D_MULBC_EPSR_SQRT_EPS = 8 /* sqrt(w * bc2 + eps_root) + eps  (optax eager) */
};
/* step: the update quantity u from n and d. */
enum {
    ADAM_C_U_MUL_DIV = 0,      /* (n * alpha) / d                                 */
    ADAM_C_U_DIV = 1,          /* n / d                                           */
    ADAM_C_U_SCALE_DIV = 2,    /* (alpha / d) * n              (Chainer)          */
    ADAM_C_U_BC_DIV = 3,       /* (n / bc1) / d                                   */
    ADAM_C_U_SCALE_DIV_CLIP = 4,/* min(max(alpha / d, lo), hi) * n  (Chainer AdaBound) */
    ADAM_C_U_MUL_DIV_DSCALE = 5,/* (n * alpha) / (dscale * d)   (Keras 2 decay)    */
    ADAM_C_U_DIV_BC = 6        /* n / (bc1 * d)   (optax with several arrays, jit: XLA
                                  folds (n / bc1) / d into one division; bc1 = 1-b1^t) */
};
/* apply: the new parameter from p' and u. */
enum {
    ADAM_C_P_SUB = 0,          /* p' - u                                          */
    ADAM_C_P_SUB_SCALED = 1,   /* p' - s * u                                      */
    ADAM_C_P_DECAY_SUB = 2,    /* k * p' - s * u          (Chainer AdamW)         */
    ADAM_C_P_ADDWD_SUB = 3,    /* p' - s * (u + k * p')   (optax adamw)           */
    ADAM_C_P_SUB_SCALED_L1L2 = 4, /* (p' - s * u) - k * (l1 * sign(p0) + l2 * p0), p0 the
                                    parameter before the step  (keras-adamw)        */
    ADAM_C_P_FMA = 5,          /* fma(u, -s, p')                     (optax, jit) */
    ADAM_C_P_ADDWD_FMA = 6     /* fma(fma(k, p', u), -s, p')  (optax adamw, jit)  */
};

/* sqrt_kind: the square root used in denominators. */
enum {
    ADAM_C_SQRT_IEEE = 0,      /* correctly rounded sqrt                          */
    ADAM_C_SQRT_MKL_EX = 1     /* MKL VML's "EX" sqrt, as PyTorch's CPU torch.sqrt
                                  runs it on AMD Zen: a rsqrtss estimate (see
                                  estimate) refined without fma (float32: two
                                  corrections; float64: a degree-4 polynomial). Not
                                  correctly rounded.                               */
};
/* estimate: the reciprocal-square-root estimate that SQRT_MKL_EX and the RU_*RSQRT*
   steps start from, as the frameworks take it from the CPU's rsqrtss/rsqrtps, whose
   table is implementation-defined (AMD's differs from Intel's). */
enum {
    ADAM_C_EST_ZEN = 0,        /* AMD Zen 3/4/5's rsqrtps: the instruction itself on
                                  such a CPU, elsewhere its exact software model
                                  (the same bits on any machine)                   */
    ADAM_C_EST_HOST = 1        /* this CPU's own rsqrtps, whatever its table: what a
                                  framework computes on this machine (x86-64 only;
                                  not portable, and no model: portable = 1 refused) */
};

typedef struct adam_c_adam_ops {
    int maximize;     /* 0 or 1: g = -g first                                       */
    int grad_scale;   /* ADAM_C_GSCALE_*                                            */
    int grad_decay;   /* ADAM_C_GDECAY_*                                            */
    int grad_clip;    /* ADAM_C_GCLIP_*                                             */
    int decoupled;    /* ADAM_C_DECOUPLED_*                                         */
    int first;        /* ADAM_C_M_*                                                 */
    int second;       /* ADAM_C_V_*                                                 */
    int amsgrad;      /* 0 or 1: vhat = max(vhat, v) and d uses vhat               */
    int numer;        /* ADAM_C_NUM_*                                               */
    int denom;        /* ADAM_C_D_*                                                 */
    int step;         /* ADAM_C_U_*                                                 */
    int apply;        /* ADAM_C_P_*                                                 */
    int sqrt_kind;    /* ADAM_C_SQRT_*                                              */
    int ftz;          /* 0, or 1: flush-to-zero and denormals-are-zero while running, as
                         TensorFlow's kernels run (x86 MXCSR; elsewhere ADAM_C_EOPS); 0
                         clears both while running (x86: IEEE whatever the caller's mode) */
    int estimate;     /* ADAM_C_EST_*                                               */
    int portable;     /* 0 or 1: compute every implementation-defined instruction (the
                         estimates) by its software model, never by this CPU's own; the
                         same bits where the CPU agrees (tests, and other machines)      */
} adam_c_adam_ops;

typedef struct adam_c_adam_scalars {
    double b1, c1;      /* beta1 and the framework's (1 - beta1)                   */
    double b2, c2;      /* beta2 and the framework's (1 - beta2)                   */
    double eps;         /* epsilon                                                 */
    double eps_root;    /* D_BC_SQRT_EPS, D_FMABC_SQRT_EPS, D_MULBC_EPSR_SQRT_EPS  */
    double alpha;       /* U_MUL_DIV, U_SCALE_DIV                                  */
    double bc1;         /* U_BC_DIV, U_DIV_BC, NUM_NADAM*: 1 - beta1^t (NUM_NADAM and
                           NUM_NADAM_FMA: its reciprocal, as the caller computes it)  */
    double bc1n;        /* NUM_NADAM*: 1 - beta1^(t+1) (or its reciprocal, as bc1)  */
    double bc2;         /* D_SQRT_BC_EPS: sqrt(1 - beta2^t); D_BC_SQRT_EPS: 1 - beta2^t */
    double s;           /* P_SUB_SCALED, P_DECAY_SUB, P_ADDWD_SUB                  */
    double k;           /* P_DECAY_SUB, P_ADDWD_SUB                                */
    double gmul, gdiv;  /* GSCALE_*                                                */
    double wd;          /* GDECAY_*                                                */
    double clip;        /* GCLIP_VALUE (>= 0)                                      */
    double dk, dlr;     /* DECOUPLED_*                                             */
    double l1, l2;      /* P_SUB_SCALED_L1L2                                       */
    double lo, hi;      /* U_SCALE_DIV_CLIP                                        */
    double dscale;      /* U_MUL_DIV_DSCALE                                        */
} adam_c_adam_scalars;

/* ------------------------------------------------------------------------------------- */
/* RMSProp: plain, momentum, centered                                                    */
/* ------------------------------------------------------------------------------------- */

/* square: the mean square ms. */
enum {
    ADAM_C_MS_LERP = 0,        /* ms + (g*g - ms) * c                             */
    ADAM_C_MS_AXPBY = 1,       /* rho * ms + c * (g*g)                            */
    ADAM_C_MS_AXPBY_CG = 2,    /* rho * ms + (c * g) * g                          */
    ADAM_C_MS_SCAL_FMA = 3,    /* fma(c, g*g, ms * rho)                           */
    ADAM_C_MS_SCAL_FMA_POW = 4,/* fma(c, pow(g, 2), ms * rho)      (Caffe)        */
    ADAM_C_MS_AXPBY_FMA = 5,   /* fma(rho, ms, c * (g*g))                         */
    ADAM_C_MS_SCAL_ADDCMUL = 6,/* ms * rho + (c * g) * g                          */
    ADAM_C_MS_SCAL_FMA_CG = 7, /* fma(c * g, g, ms * rho)                         */
    ADAM_C_MS_AXPBY_POW = 8    /* rho * ms + c * pow(g, 2)        (Caffe, tail)   */
};
/* center: the mean gradient mg of centered RMSProp, and the variance w. */
enum {
    ADAM_C_C_NONE = 0,         /* w = ms                                          */
    ADAM_C_C_LERP = 1,         /* mg = mg + (g - mg) * c;      w = ms - mg*mg     */
    ADAM_C_C_AXPBY = 2,        /* mg = rho * mg + c * g;       w = ms - mg*mg     */
    ADAM_C_C_LERP_FMA = 3,     /* mg = fma(c, g - mg, mg);     w = ms - mg*mg     */
    ADAM_C_C_SCAL_FMA = 4,     /* mg = fma(c, g, mg * rho);    w = ms - mg*mg     */
    ADAM_C_C_AXPBY_FMA = 5     /* mg = fma(rho, mg, c * g);    w = ms - mg*mg     */
};
/* variance: how w = ms - mg*mg is rounded when centered. */
enum {
    ADAM_C_VAR_SUB = 0,        /* ms - mg * mg                                    */
    ADAM_C_VAR_FMA = 1,        /* fma(-mg, mg, ms)              (PyTorch, optax)  */
    ADAM_C_VAR_SUB_EPS = 2     /* ms - (mg * mg - eps): epsilon already inside, for
                                  the RU_*RSQRT* steps   (Keras 3 after Grappler)  */
};
/* rms_denom: the denominator d from w. */
enum {
    ADAM_C_RD_SQRT_EPS_IN = 0,   /* sqrt(w + eps)                                 */
    ADAM_C_RD_SQRT_EPS = 1,      /* sqrt(w) + eps                                 */
    ADAM_C_RD_POW_EPS = 2,       /* pow(w, 0.5) + eps            (Caffe)          */
    ADAM_C_RD_MAX_SQRT = 3,      /* max(sqrt(w), eps)  (Blocks: eps = 1/max_scaling) */
    ADAM_C_RD_EPS_SUB_SQRT = 4,  /* sqrt((ms + eps) - mg*mg)     (Keras torch)    */
    ADAM_C_RD_EPS_FIRST_SQRT = 5 /* sqrt((eps + rho * ms_old) + c * (g*g))
                                    (Lasagne: eps joins before the new term)      */
};
/* rms_step: the update quantity u. */
enum {
    ADAM_C_RU_MUL_DIV = 0,     /* (g * lr) / d                                    */
    ADAM_C_RU_SCALE_OF_DIV = 1,/* lr * (g / d)                                    */
    ADAM_C_RU_DIV = 2,         /* g / d                                           */
    ADAM_C_RU_RSQRT_MUL = 3,   /* rsqrt(w + eps) * g   (optax eps_in_sqrt; float32:
                                  XLA's rsqrtss estimate + one fma Newton step,
                                  float64 and non-x86: 1 / sqrt)                  */
    ADAM_C_RU_RECIP_MUL = 4,   /* (1 / d) * g                                     */
    /* Keras 3 / tf-keras RMSprop after graph rewrites: r = w + eps (or w with
       VAR_SUB_EPS), x = lr * g, and an approximate reciprocal square root of r:
       TF = Eigen's prsqrt (rsqrtss estimate y; h = (r*y)*y - 1 and y + (-y/2)*h without
       fma; NaN -> y), XLA = rsqrtss estimate + one fma Newton step (r < FLT_MIN or
       Inf -> the estimate), IEEE = 1 / sqrt(r); float64 always 1 / sqrt(r).           */
    ADAM_C_RU_X_RSQRT_TF = 5,  /* (lr * g) * rsqrt_tf(r)              (Keras, TF)  */
    ADAM_C_RU_X_RSQRT_IEEE = 6,/* (lr * g) * (1 / sqrt(r))       (its vector tail) */
    ADAM_C_RU_G_LRRSQRT_TF = 7,/* g * (lr * rsqrt_tf(r))            (tf-keras new) */
    ADAM_C_RU_G_LRRSQRT_IEEE = 8,/* g * (lr * (1 / sqrt(r)))       (its vector tail) */
    ADAM_C_RU_X_RSQRT_XLA = 9, /* (lr * g) * rsqrt_xla(r)            (Keras, JAX)  */
    ADAM_C_RU_MUL_DIV_DSCALE = 10 /* (g * lr) / (dscale * d)   (Keras 2 decay)      */
};
/* momentum: how u reaches p (mom is the momentum buffer). */
enum {
    ADAM_C_MOM_NONE = 0,       /* p' - u                                          */
    ADAM_C_MOM_ACC = 1,        /* mom = mu * mom + u;  p' - mom      (TF, Keras)  */
    ADAM_C_MOM_ACC_FMA = 2,    /* mom = mom * mu + u;  fma(mom, -lr, p')  (PyTorch) */
    ADAM_C_MOM_DELTA = 3,      /* mom = mu * mom - u;  p' + mom      (MXNet alex) */
    ADAM_C_MOM_SCALED = 4,     /* p' - lr * u                                     */
    ADAM_C_MOM_FMA = 5,        /* fma(u, -lr, p')                    (Blocks)     */
    ADAM_C_MOM_TRACE = 6,      /* mom = mu * mom - lr * u;  p' + mom (optax eager) */
    ADAM_C_MOM_TRACE_FMA = 7,  /* mom = fma(mu, mom, -(lr * u)); p' + mom (jit)   */
    ADAM_C_MOM_ACC_FMA2 = 8,   /* mom = fma(mu, mom, u);  p' - mom   (Keras, JAX)  */
    ADAM_C_MOM_FMA_XRS = 9     /* fma(-x, rs, p') with x, rs of RU_X_RSQRT_XLA    */
};
/* rsqrt_kind: XLA's CPU rsqrt in float64 (RU_RSQRT_MUL, RU_X_RSQRT_XLA); it depends on the
   instruction set XLA compiles for. float32 is the same for both: the rsqrtps estimate y
   (see estimate) and one Newton step, r2 = x*y, hr = y*-0.5, h = fma(r2, y, -1),
   y' = fma(hr, h, y); x < FLT_MIN or x = +inf gives y. */
enum {
    ADAM_C_RSQRT_XLA = 0,      /* float64: 1 / sqrt(x)       (a CPU without AVX-512F) */
    ADAM_C_RSQRT_XLA_AVX512 = 1/* float64: the vrsqrt14pd estimate y of x (a subnormal
                                  x read as 0, XLA runs with DAZ), then two such
                                  Newton steps; x < DBL_MIN or +inf gives y (XLA on
                                  a CPU with AVX-512F)                             */
};

typedef struct adam_c_rmsprop_ops {
    int maximize, grad_scale, grad_decay, grad_clip, decoupled;  /* as for Adam   */
    int square;       /* ADAM_C_MS_*                                                */
    int center;       /* ADAM_C_C_*                                                 */
    int denom;        /* ADAM_C_RD_*                                                */
    int step;         /* ADAM_C_RU_*                                                */
    int momentum;     /* ADAM_C_MOM_*                                               */
    int variance;     /* ADAM_C_VAR_*                                               */
    int sqrt_kind;    /* ADAM_C_SQRT_*                                              */
    int ftz;          /* as for Adam                                                */
    int estimate;     /* as for Adam                                                */
    int portable;     /* as for Adam                                                */
    int rsqrt_kind;   /* ADAM_C_RSQRT_*                                             */
} adam_c_rmsprop_ops;

typedef struct adam_c_rmsprop_scalars {
    double rho, c;      /* decay and the framework's (1 - decay)                   */
    double eps;
    double lr;          /* RU_MUL_DIV, RU_SCALE_OF_DIV, MOM_ACC_FMA, MOM_SCALED    */
    double mu;          /* momentum                                                */
    double gmul, gdiv, wd, clip, dk, dlr;   /* as for Adam                         */
    double dscale;      /* RU_MUL_DIV_DSCALE                                       */
} adam_c_rmsprop_scalars;

/* ------------------------------------------------------------------------------------- */
/* Entry points                                                                          */
/* ------------------------------------------------------------------------------------- */

/*
 * Adam family step over n elements. p, g, m, v are required when n > 0; vhat only when
 * ops->amsgrad. g is read only; p, m, v (and vhat) are updated in place.
 */
ADAM_C_API int adam_c_adam_f32(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                               float *p, const float *g, float *m, float *v, float *vhat,
                               size_t n);
ADAM_C_API int adam_c_adam_f64(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                               double *p, const double *g, double *m, double *v,
                               double *vhat, size_t n);

/*
 * RMSProp step. ms is required; mg when ops->center != C_NONE; mom when
 * ops->momentum is MOM_ACC, MOM_ACC_FMA, MOM_DELTA, MOM_TRACE, MOM_TRACE_FMA or
 * MOM_ACC_FMA2.
 */
ADAM_C_API int adam_c_rmsprop_f32(const adam_c_rmsprop_ops *ops,
                                  const adam_c_rmsprop_scalars *s, float *p, const float *g,
                                  float *ms, float *mg, float *mom, size_t n);
ADAM_C_API int adam_c_rmsprop_f64(const adam_c_rmsprop_ops *ops,
                                  const adam_c_rmsprop_scalars *s, double *p,
                                  const double *g, double *ms, double *mg, double *mom,
                                  size_t n);

/* Check an ops struct: ADAM_C_OK or ADAM_C_EOPS. */
ADAM_C_API int adam_c_adam_ops_check(const adam_c_adam_ops *ops);
ADAM_C_API int adam_c_rmsprop_ops_check(const adam_c_rmsprop_ops *ops);

/*
 * adamkit's own modes, for callers that want "Adam" without choosing a framework.
 *
 * Adam (Kingma & Ba, Algorithm 1; eps added to sqrt of the bias-corrected v):
 *     m = m + (g - m)(1 - b1);  v = v + (g^2 - v)(1 - b2)
 *     p = p - (m * lr/(1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * with 1 - b, b^t and the two bias corrections computed in double, then rounded to T.
 * t counts from 1. weight_decay > 0 adds wd*p to g (L2); use the ops for AdamW.
 * Returns ADAM_C_OK, or ADAM_C_EARG without writing anything unless t >= 1, 0 <= b1, b2 < 1
 * and lr, eps, weight_decay are finite and >= 0 (at t = 0, 1 - b1^t would be 0).
 */
ADAM_C_API int adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s,
                                   double lr, double b1, double b2, double eps,
                                   double weight_decay, long t, int is_float32);
/*
 * RMSProp (eps outside the square root, as PyTorch and Tieleman & Hinton):
 *     ms = ms + (g^2 - ms)(1 - rho);  p = p - (g * lr) / (sqrt(ms) + eps)
 * with momentum mu > 0: mom = mu*mom + (g*lr)/(sqrt(ms) + eps); p = p - mom.
 * Returns ADAM_C_OK, or ADAM_C_EARG without writing anything unless 0 <= rho < 1 and lr,
 * eps, momentum, weight_decay are finite and >= 0.
 */
ADAM_C_API int adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s,
                                      double lr, double rho, double eps, double momentum,
                                      double weight_decay, int is_float32);

/* A short human-readable message for a status code. */
ADAM_C_API const char *adam_c_strerror(int status);

#ifdef __cplusplus
}
#endif

#endif /* ADAM_C_H */
