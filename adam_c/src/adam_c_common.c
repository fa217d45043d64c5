/* adam_c_common.c -- ops validation, adamkit's default modes, messages. */
#include "adam_c_internal.h"

static int in_range(int x, int lo, int hi) { return x >= lo && x <= hi; }

int adam_c_adam_ops_check(const adam_c_adam_ops *o)
{
    if (!o) return ADAM_C_ENULL;
    int ok = in_range(o->maximize, 0, 1) &&
             in_range(o->grad_scale, ADAM_C_GSCALE_NONE, ADAM_C_GSCALE_MULMUL) &&
             in_range(o->grad_decay, ADAM_C_GDECAY_NONE, ADAM_C_GDECAY_L1) &&
             in_range(o->grad_clip, ADAM_C_GCLIP_NONE, ADAM_C_GCLIP_VALUE) &&
             in_range(o->decoupled, ADAM_C_DECOUPLED_NONE, ADAM_C_DECOUPLED_FMA) &&
             in_range(o->first, ADAM_C_M_LERP, ADAM_C_M_LERP_FMA_HI) &&
             in_range(o->second, ADAM_C_V_LERP, ADAM_C_V_LERP_FMA2) &&
             in_range(o->amsgrad, 0, 1) &&
             in_range(o->numer, ADAM_C_NUM_M, ADAM_C_NUM_NADAM_FMA) &&
             in_range(o->denom, ADAM_C_D_SQRT_EPS, ADAM_C_D_FMABC_SQRT_EPS) &&
             in_range(o->step, ADAM_C_U_MUL_DIV, ADAM_C_U_MUL_DIV_DSCALE) &&
             in_range(o->apply, ADAM_C_P_SUB, ADAM_C_P_ADDWD_FMA) &&
             in_range(o->sqrt_kind, ADAM_C_SQRT_IEEE, ADAM_C_SQRT_MKL_EX) &&
             in_range(o->ftz, 0, ADAM_C_HAVE_FTZ);
    return ok ? ADAM_C_OK : ADAM_C_EOPS;
}

int adam_c_rmsprop_ops_check(const adam_c_rmsprop_ops *o)
{
    if (!o) return ADAM_C_ENULL;
    int ok = in_range(o->maximize, 0, 1) &&
             in_range(o->grad_scale, ADAM_C_GSCALE_NONE, ADAM_C_GSCALE_MULMUL) &&
             in_range(o->grad_decay, ADAM_C_GDECAY_NONE, ADAM_C_GDECAY_L1) &&
             in_range(o->grad_clip, ADAM_C_GCLIP_NONE, ADAM_C_GCLIP_VALUE) &&
             in_range(o->decoupled, ADAM_C_DECOUPLED_NONE, ADAM_C_DECOUPLED_FMA) &&
             in_range(o->square, ADAM_C_MS_LERP, ADAM_C_MS_AXPBY_POW) &&
             in_range(o->center, ADAM_C_C_NONE, ADAM_C_C_AXPBY_FMA) &&
             in_range(o->denom, ADAM_C_RD_SQRT_EPS_IN, ADAM_C_RD_EPS_FIRST_SQRT) &&
             in_range(o->step, ADAM_C_RU_MUL_DIV, ADAM_C_RU_MUL_DIV_DSCALE) &&
             in_range(o->momentum, ADAM_C_MOM_NONE, ADAM_C_MOM_FMA_XRS) &&
             in_range(o->variance, ADAM_C_VAR_SUB, ADAM_C_VAR_SUB_EPS) &&
             in_range(o->sqrt_kind, ADAM_C_SQRT_IEEE, ADAM_C_SQRT_MKL_EX) &&
             in_range(o->ftz, 0, ADAM_C_HAVE_FTZ);
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

void adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s, double lr, double b1,
                         double b2, double eps, double weight_decay, long t, int is_float32)
{
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
}

void adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s, double lr,
                            double rho, double eps, double momentum, double weight_decay,
                            int is_float32)
{
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
}

const char *adam_c_strerror(int status)
{
    switch (status) {
    case ADAM_C_OK: return "ok";
    case ADAM_C_ENULL: return "a required buffer is NULL";
    case ADAM_C_EOPS: return "an ops field holds an unknown value";
    default: return "unknown status";
    }
}
