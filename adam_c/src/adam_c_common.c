/* adam_c_common.c -- ops validation, adamkit's default modes, messages, and the
   reciprocal-square-root estimate of one element (its vector form: estimate_rows.c). */
#include "adam_c_internal.h"
#include "adam_c_limits.h"
#include <float.h>

#if ADAM_C_HAVE_RSQRT
float adam_c_rsqrt_est(float x) { return _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x))); }
#endif

/* Every ops field in [0, its largest value] (adam_c_limits.h, generated from adam_c.h);
   ftz only where this build can honour it. The structs are ints only. */
typedef char adam_c_ops_are_ints[
    sizeof(adam_c_adam_ops) == ADAM_C_ADAM_OPS_NFIELDS * sizeof(int) &&
    sizeof(adam_c_rmsprop_ops) == ADAM_C_RMSPROP_OPS_NFIELDS * sizeof(int) ? 1 : -1];

static int fields_in_range(const void *ops, const int *max, int n)
{
    int f[32];
    memcpy(f, ops, (size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        if (f[i] < 0 || f[i] > max[i]) return 0;
    return 1;
}

/* The host's own estimate exists only on x86-64, and has no model. */
static int estimate_ok(int estimate, int portable)
{
    return estimate != ADAM_C_EST_HOST || (ADAM_C_HAVE_RSQRT && !portable);
}

int adam_c_adam_ops_check(const adam_c_adam_ops *o)
{
    if (!o) return ADAM_C_ENULL;
    int ok = fields_in_range(o, adam_c_adam_ops_max, ADAM_C_ADAM_OPS_NFIELDS) &&
             o->ftz <= ADAM_C_HAVE_FTZ && estimate_ok(o->estimate, o->portable);
    return ok ? ADAM_C_OK : ADAM_C_EOPS;
}

int adam_c_rmsprop_ops_check(const adam_c_rmsprop_ops *o)
{
    if (!o) return ADAM_C_ENULL;
    int ok = fields_in_range(o, adam_c_rmsprop_ops_max, ADAM_C_RMSPROP_OPS_NFIELDS) &&
             o->ftz <= ADAM_C_HAVE_FTZ && estimate_ok(o->estimate, o->portable);
    return ok ? ADAM_C_OK : ADAM_C_EOPS;
}

/*
 * Round a double to the buffer's type and back, so the kernel's conversion is exact.
 * The float goes through a volatile: GCC 12's SLP vectorizer (-O2/-O3) was seen to drop
 * the (double)(float) round trip when two of them are packed together (alpha and bc1 came
 * back unrounded); test_adam_c.c checks the result.
 */
static double to_type(double x, int is_float32)
{
    if (!is_float32) return x;
    volatile float f = (float)x;
    return (double)f;
}

/* A finite x >= 0 (NaN fails every comparison); a decay rate in [0, 1). */
static int nonneg(double x) { return x >= 0.0 && x <= DBL_MAX; }
static int rate(double x) { return x >= 0.0 && x < 1.0; }

int adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s, double lr, double b1,
                        double b2, double eps, double weight_decay, long t, int is_float32)
{
    if (!(t >= 1 && rate(b1) && rate(b2) && nonneg(lr) && nonneg(eps) && nonneg(weight_decay)))
        return ADAM_C_EARG;
    const adam_c_adam_ops o = {0};
    *ops = o;
    ops->denom = ADAM_C_D_SQRT_BC_EPS;
    ops->grad_decay = weight_decay != 0.0 ? ADAM_C_GDECAY_L2 : ADAM_C_GDECAY_NONE;
    const adam_c_adam_scalars z = {0};
    *s = z;
    const double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
    s->b1 = to_type(b1, is_float32);
    s->c1 = to_type(1.0 - b1, is_float32);
    s->b2 = to_type(b2, is_float32);
    s->c2 = to_type(1.0 - b2, is_float32);
    s->eps = to_type(eps, is_float32);
    s->alpha = to_type(lr / bc1, is_float32);
    s->bc1 = to_type(bc1, is_float32);
    s->bc2 = to_type(sqrt(bc2), is_float32);
    s->wd = to_type(weight_decay, is_float32);
    s->dk = to_type(1.0 - lr * weight_decay, is_float32); /* for ADAM_C_DECOUPLED_MUL */
    s->gmul = s->gdiv = s->s = s->k = s->dscale = 1.0;
    return ADAM_C_OK;
}

int adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s, double lr,
                           double rho, double eps, double momentum, double weight_decay,
                           int is_float32)
{
    if (!(rate(rho) && nonneg(lr) && nonneg(eps) && nonneg(momentum) && nonneg(weight_decay)))
        return ADAM_C_EARG;
    const adam_c_rmsprop_ops o = {0};
    *ops = o;
    ops->denom = ADAM_C_RD_SQRT_EPS;
    ops->momentum = momentum != 0.0 ? ADAM_C_MOM_ACC : ADAM_C_MOM_NONE;
    ops->grad_decay = weight_decay != 0.0 ? ADAM_C_GDECAY_L2 : ADAM_C_GDECAY_NONE;
    const adam_c_rmsprop_scalars z = {0};
    *s = z;
    s->rho = to_type(rho, is_float32);
    s->c = to_type(1.0 - rho, is_float32);
    s->eps = to_type(eps, is_float32);
    s->lr = to_type(lr, is_float32);
    s->mu = to_type(momentum, is_float32);
    s->wd = to_type(weight_decay, is_float32);
    s->gmul = s->gdiv = s->dk = s->dscale = 1.0;
    return ADAM_C_OK;
}

const char *adam_c_strerror(int status)
{
    switch (status) {
    case ADAM_C_OK: return "ok";
    case ADAM_C_ENULL: return "a required buffer is NULL";
    case ADAM_C_EOPS: return "an ops field holds an unknown value";
    case ADAM_C_EARG: return "a hyper-parameter is out of its range (adam_c_*_default)";
    default: return "unknown status";
    }
}
