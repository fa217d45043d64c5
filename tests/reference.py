"""A float64 NumPy oracle of every kernel variant, written from the equations in adam_c.h.

Each ops value names an algebraic form (e.g. ``m + (g - m) c1`` or ``b1 m + c1 g``); here
each form is evaluated in float64 with NumPy, line by line, whatever the buffer dtype.
The tests compare the C kernels with it to a tolerance set by the dtype: the kernels
round every operation in the buffer's type, the oracle rounds in double.
"""

import numpy as np

from adamkit import _rules as R


def _grad(o, s, g, p):
    g = -g if o["maximize"] else g.copy()
    if o["grad_scale"] == R.GSCALE_MUL:
        g = g * s["gmul"]
    elif o["grad_scale"] == R.GSCALE_MULDIV:
        g = g * s["gmul"] / s["gdiv"]
    elif o["grad_scale"] == R.GSCALE_MULMUL:
        g = g * s["gmul"] * s["gdiv"]
    decay = o["grad_decay"]
    if decay in (R.GDECAY_L2, R.GDECAY_L2_FMA):
        g = g + s["wd"] * p
    elif decay in (R.GDECAY_L1, R.GDECAY_L1_FMA):
        g = g + s["wd"] * np.sign(p)
    if o["grad_clip"] == R.GCLIP_VALUE:
        g = np.clip(g, -s["clip"], s["clip"])
    return g


def _decouple(o, s, p):
    if o["decoupled"] == R.DECOUPLED_MUL:
        return p * s["dk"]
    if o["decoupled"] == R.DECOUPLED_FMA:
        return p - p * s["dk"]
    if o["decoupled"] == R.DECOUPLED_SUBMUL:
        return p - p * s["dk"] * s["dlr"]
    return p


def adam(ops, s, p, g, m, v, vhat=None):
    """One Adam-family step in float64; returns new (p, m, v, vhat)."""
    o = ops
    p, g, m, v = (np.asarray(x, dtype=np.float64) for x in (p, g, m, v))
    p0, g_in = p, g
    g = _grad(o, s, g, p)
    p = _decouple(o, s, p)
    first = o["first"]
    if first == R.M_LERP_FMA_GS:       # g0 * gmul, g0 the gradient before grad_scale
        g0 = -np.asarray(g_in, dtype=np.float64) if o["maximize"] else g_in
        m = m + (np.asarray(g0, dtype=np.float64) * s["gmul"] - m) * s["c1"]
    elif first == R.M_LERP_FMA_HI:
        m = g + s["c1"] * (g - m)
    elif first in (R.M_AXPBY, R.M_SCAL_FMA, R.M_AXPBY_FMA):
        m = s["b1"] * m + s["c1"] * g
    else:
        m = m + (g - m) * s["c1"]
    second = o["second"]
    if second == R.V_MAX:
        v = np.maximum(s["b2"] * v, np.abs(g))
    elif second == R.V_MAX_EPS:
        v = np.maximum(s["b2"] * v, np.abs(g) + s["eps"])
    elif second in (R.V_LERP, R.V_LERP_FMA2):
        v = v + (g * g - v) * s["c2"]
    else:
        v = s["b2"] * v + s["c2"] * g * g
    w = v
    if o["amsgrad"]:
        vhat = np.maximum(np.asarray(vhat, dtype=np.float64), v)
        w = vhat
    numer = o["numer"]
    if numer == R.NUM_NESTEROV:
        num = g * s["c1"] + s["b1"] * m
    elif numer in (R.NUM_NADAM, R.NUM_NADAM_FMA):
        num = s["b1"] * m * s["bc1n"] + s["c1"] * g * s["bc1"]
    elif numer in (R.NUM_NADAM_DIV, R.NUM_NADAM_DIV_FMA):
        num = s["b1"] * (m / s["bc1n"]) + s["c1"] * (g / s["bc1"])
    else:
        num = m
    denom = o["denom"]
    if denom == R.D_SQRT_BC_EPS:
        d = np.sqrt(w) / s["bc2"] + s["eps"]
    elif denom == R.D_BC_SQRT_EPS:
        d = np.sqrt(w / s["bc2"] + s["eps_root"]) + s["eps"]
    elif denom == R.D_MULBC_SQRT_EPS:
        d = np.sqrt(w * s["bc2"]) + s["eps"]
    elif denom in (R.D_FMABC_SQRT_EPS, R.D_MULBC_EPSR_SQRT_EPS):
        d = np.sqrt(w * s["bc2"] + s["eps_root"]) + s["eps"]
    elif denom == R.D_EPS:
        d = w + s["eps"]
    elif denom == R.D_NONE:
        d = w
    else:  # D_SQRT_EPS, D_POW_EPS
        d = np.sqrt(w) + s["eps"]
    step = o["step"]
    if step == R.U_DIV:
        u = num / d
    elif step == R.U_BC_DIV:
        u = num / s["bc1"] / d
    elif step == R.U_SCALE_DIV_CLIP:
        u = np.clip(s["alpha"] / d, s["lo"], s["hi"]) * num
    elif step == R.U_MUL_DIV_DSCALE:
        u = num * s["alpha"] / (s["dscale"] * d)
    elif step == R.U_DIV_BC:
        u = num / (s["bc1"] * d)
    else:  # U_MUL_DIV, U_SCALE_DIV
        u = num * s["alpha"] / d
    apply = o["apply"]
    if apply == R.P_SUB_SCALED:
        p = p - s["s"] * u
    elif apply == R.P_DECAY_SUB:
        p = s["k"] * p - s["s"] * u
    elif apply == R.P_ADDWD_SUB:
        p = p - s["s"] * (u + s["k"] * p)
    elif apply == R.P_FMA:
        p = p - s["s"] * u
    elif apply == R.P_ADDWD_FMA:
        p = p - s["s"] * (u + s["k"] * p)
    elif apply == R.P_SUB_SCALED_L1L2:
        p = p - s["s"] * u - s["k"] * (s["l1"] * np.sign(p0) + s["l2"] * p0)
    else:
        p = p - u
    return p, m, v, vhat


def rmsprop(ops, s, p, g, ms, mg=None, mom=None):
    """One RMSProp step in float64; returns new (p, ms, mg, mom)."""
    o = ops
    p, g, ms = (np.asarray(x, dtype=np.float64) for x in (p, g, ms))
    g = _grad(o, s, g, p)
    p = _decouple(o, s, p)
    if o["square"] == R.MS_LERP:
        ms = ms + (g * g - ms) * s["c"]
    else:
        ms = s["rho"] * ms + s["c"] * g * g
    w = ms
    a = 0.0
    if o["center"] != R.C_NONE:
        a = np.asarray(mg, dtype=np.float64)
        if o["center"] in (R.C_AXPBY, R.C_SCAL_FMA, R.C_AXPBY_FMA):
            a = s["rho"] * a + s["c"] * g
        else:
            a = a + (g - a) * s["c"]
        mg = a
        w = ms - a * a
        if o["variance"] == R.VAR_SUB_EPS:
            w = w + s["eps"]
    denom = o["denom"]
    if denom in (R.RD_SQRT_EPS_IN, R.RD_EPS_FIRST_SQRT):
        d = np.sqrt(w + s["eps"])
    elif denom == R.RD_MAX_SQRT:
        d = np.maximum(np.sqrt(w), s["eps"])
    elif denom == R.RD_EPS_SUB_SQRT:
        d = np.sqrt(ms + s["eps"] - a * a)
    else:  # RD_SQRT_EPS, RD_POW_EPS
        d = np.sqrt(w) + s["eps"]
    if o["step"] == R.RU_RSQRT_MUL:
        u = g / np.sqrt(w + s["eps"])
    elif o["step"] in (R.RU_X_RSQRT_TF, R.RU_X_RSQRT_IEEE, R.RU_G_LRRSQRT_TF,
                       R.RU_G_LRRSQRT_IEEE, R.RU_X_RSQRT_XLA):
        rr = w if (o["center"] != R.C_NONE and o["variance"] == R.VAR_SUB_EPS) else w + s["eps"]
        u = s["lr"] * g / np.sqrt(rr)
    elif o["step"] in (R.RU_DIV, R.RU_RECIP_MUL):
        u = g / d
    elif o["step"] == R.RU_MUL_DIV_DSCALE:
        u = g * s["lr"] / (s["dscale"] * d)
    else:
        u = g * s["lr"] / d
    mode = o["momentum"]
    if mode == R.MOM_ACC:
        mom = s["mu"] * np.asarray(mom, dtype=np.float64) + u
        p = p - mom
    elif mode == R.MOM_ACC_FMA:
        mom = np.asarray(mom, dtype=np.float64) * s["mu"] + u
        p = p - s["lr"] * mom
    elif mode == R.MOM_DELTA:
        mom = s["mu"] * np.asarray(mom, dtype=np.float64) - u
        p = p + mom
    elif mode in (R.MOM_TRACE, R.MOM_TRACE_FMA):
        mom = s["mu"] * np.asarray(mom, dtype=np.float64) - s["lr"] * u
        p = p + mom
    elif mode == R.MOM_ACC_FMA2:
        mom = s["mu"] * np.asarray(mom, dtype=np.float64) + u
        p = p - mom
    elif mode == R.MOM_FMA_XRS:
        p = p - u
    elif mode in (R.MOM_SCALED, R.MOM_FMA):
        p = p - s["lr"] * u
    else:
        p = p - u
    return p, ms, mg, mom
