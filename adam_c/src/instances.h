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

/* Framework presets used most (adamkit.presets): their body rows. */
ADAM_C_ADAM_INSTANCE(torch_fused, .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_SCAL_FMA_CG,
                     .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(torch_fused_w, .decoupled = ADAM_C_DECOUPLED_MUL,
                     .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_SCAL_FMA_CG,
                     .denom = ADAM_C_D_SQRT_BC_EPS)
ADAM_C_ADAM_INSTANCE(optax_jit, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .denom = ADAM_C_D_MULBC_SQRT_EPS, .apply = ADAM_C_P_FMA)
ADAM_C_ADAM_INSTANCE(theano, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .denom = ADAM_C_D_SQRT_EPS)
ADAM_C_ADAM_INSTANCE(keras_jax, .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_LERP_FMA2,
                     .denom = ADAM_C_D_SQRT_EPS)
ADAM_C_ADAM_INSTANCE(chainer, .denom = ADAM_C_D_SQRT_EPS, .step = ADAM_C_U_SCALE_DIV,
                     .apply = ADAM_C_P_SUB_SCALED)
ADAM_C_ADAM_INSTANCE(mxnet, .grad_scale = ADAM_C_GSCALE_MUL, .grad_decay = ADAM_C_GDECAY_L2,
                     .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_AXPBY_CG,
                     .denom = ADAM_C_D_SQRT_EPS)
