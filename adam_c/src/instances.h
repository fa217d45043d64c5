/*
 * instances.h -- the ops combinations that get their own specialised, vectorized loop.
 *
 * Each line names one combination of adam_c.h ops values (designated initializers; a
 * field left out is 0). Any other combination still runs, through the generic loop, with
 * identical bits but without vectorization. Add a line here when a preset needs speed.
 * The names are only labels; the Python presets select a loop by the ops values alone.
 */

/* adamkit's own Adam (paper Algorithm 1), with and without AMSGrad / L2 / AdamW decay. */
ADAM_C_ADAM_INSTANCE(native, .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(native_ams, .amsgrad = 1, .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(native_l2, .grad_decay = ADAM_C_GDECAY_L2, .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(native_w, .decoupled = ADAM_C_DECOUPLED_MUL, .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(native_max, .second = ADAM_C_V_MAX, .denom = ADAM_C_D_EPS)
ADAM_C_ADAM_INSTANCE(native_nesterov, .numer = ADAM_C_NUM_NESTEROV,
                     .denom = ADAM_C_D_SQRT_BC_EPS)

/* epsilon-hat form (TensorFlow kernels, Keras): m, v in lerp form, alpha folded. */
ADAM_C_ADAM_INSTANCE(hat, .denom = ADAM_C_D_SQRT_EPS)
ADAM_C_ADAM_INSTANCE(hat_ams, .amsgrad = 1, .denom = ADAM_C_D_SQRT_EPS)
ADAM_C_ADAM_INSTANCE(hat_nesterov, .numer = ADAM_C_NUM_NESTEROV, .denom = ADAM_C_D_SQRT_EPS)

/* PyTorch for-loop / fused CPU: lerp with fma, v by mul + addcmul, bias-corrected v. */
ADAM_C_ADAM_INSTANCE(torch, .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_SCAL_ADDCMUL,
                     .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(torch_w, .decoupled = ADAM_C_DECOUPLED_MUL, .first = ADAM_C_M_LERP_FMA,
                     .second = ADAM_C_V_SCAL_ADDCMUL, .denom = ADAM_C_D_SQRT_BC_EPS)

/* RMSProp: adamkit's own (eps outside), TensorFlow kernel (eps inside, momentum buffer). */
ADAM_C_RMSPROP_INSTANCE(native, .denom = ADAM_C_RD_SQRT_EPS)
ADAM_C_RMSPROP_INSTANCE(native_mom, .denom = ADAM_C_RD_SQRT_EPS, .momentum = ADAM_C_MOM_ACC)
ADAM_C_RMSPROP_INSTANCE(native_centered, .center = ADAM_C_C_LERP, .denom = ADAM_C_RD_SQRT_EPS)
ADAM_C_RMSPROP_INSTANCE(tf, .denom = ADAM_C_RD_SQRT_EPS_IN, .momentum = ADAM_C_MOM_ACC)
ADAM_C_RMSPROP_INSTANCE(tf_centered, .center = ADAM_C_C_LERP, .denom = ADAM_C_RD_SQRT_EPS_IN,
                        .momentum = ADAM_C_MOM_ACC)
