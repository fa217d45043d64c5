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

/* Every other preset's default rows (adamkit.presets; body and, where a BLAS split applies,
 * tail). tests/test_presets.py fails if a preset row has no instance here. The rows that
 * use a scalar-only operation (powf, MKL's sqrt, the rsqrt estimate) still run a
 * straight-line loop without the generic loop's branches. */
/* blocks_rmsprop */
ADAM_C_RMSPROP_INSTANCE(blocks_rmsprop, .square = ADAM_C_MS_SCAL_FMA,
                        .denom = ADAM_C_RD_MAX_SQRT, .step = ADAM_C_RU_DIV,
                        .momentum = ADAM_C_MOM_FMA)
/* caffe_adam */
ADAM_C_ADAM_INSTANCE(caffe_adam, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .denom = ADAM_C_D_POW_EPS, .step = ADAM_C_U_DIV,
                     .apply = ADAM_C_P_SUB_SCALED)
/* caffe_adam_tail */
ADAM_C_ADAM_INSTANCE(caffe_adam_tail, .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_AXPBY,
                     .denom = ADAM_C_D_POW_EPS, .step = ADAM_C_U_DIV,
                     .apply = ADAM_C_P_SUB_SCALED)
/* caffe_rmsprop */
ADAM_C_RMSPROP_INSTANCE(caffe_rmsprop, .square = ADAM_C_MS_SCAL_FMA_POW,
                        .denom = ADAM_C_RD_POW_EPS, .step = ADAM_C_RU_SCALE_OF_DIV)
/* caffe_rmsprop_tail */
ADAM_C_RMSPROP_INSTANCE(caffe_rmsprop_tail, .square = ADAM_C_MS_AXPBY_POW,
                        .denom = ADAM_C_RD_POW_EPS, .step = ADAM_C_RU_SCALE_OF_DIV)
/* chainer_adabound */
ADAM_C_ADAM_INSTANCE(chainer_adabound, .step = ADAM_C_U_SCALE_DIV_CLIP,
                     .apply = ADAM_C_P_SUB_SCALED)
/* chainer_amsbound */
ADAM_C_ADAM_INSTANCE(chainer_amsbound, .amsgrad = 1, .step = ADAM_C_U_SCALE_DIV_CLIP,
                     .apply = ADAM_C_P_SUB_SCALED)
/* chainer_amsgrad */
ADAM_C_ADAM_INSTANCE(chainer_amsgrad, .amsgrad = 1, .step = ADAM_C_U_SCALE_DIV,
                     .apply = ADAM_C_P_SUB_SCALED)
/* chainer_rmsprop, torch7_rmsprop */
ADAM_C_RMSPROP_INSTANCE(chainer_rmsprop, .square = ADAM_C_MS_SCAL_ADDCMUL,
                        .denom = ADAM_C_RD_SQRT_EPS)
/* cs231n_adam */
ADAM_C_ADAM_INSTANCE(cs231n_adam, .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_AXPBY)
/* cs231n_rmsprop, tf_keras_legacy_rmsprop */
ADAM_C_RMSPROP_INSTANCE(cs231n_rmsprop, .square = ADAM_C_MS_AXPBY, .denom = ADAM_C_RD_SQRT_EPS)
/* keras2_adamax, lasagne_master_adamax */
ADAM_C_ADAM_INSTANCE(keras2_adamax, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_MAX,
                     .denom = ADAM_C_D_EPS)
/* keras2_amsgrad, lasagne_master_amsgrad */
ADAM_C_ADAM_INSTANCE(keras2_amsgrad, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .amsgrad = 1)
/* keras2_rmsprop */
ADAM_C_RMSPROP_INSTANCE(keras2_rmsprop, .square = ADAM_C_MS_SCAL_FMA,
                        .denom = ADAM_C_RD_SQRT_EPS)
/* keras_adamw_adamw */
ADAM_C_ADAM_INSTANCE(keras_adamw_adamw, .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_AXPBY,
                     .step = ADAM_C_U_DIV, .apply = ADAM_C_P_SUB_SCALED)
/* keras_jax_adamw */
ADAM_C_ADAM_INSTANCE(keras_jax_adamw, .decoupled = ADAM_C_DECOUPLED_FMA,
                     .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_LERP_FMA2)
/* keras_jax_rmsprop */
ADAM_C_RMSPROP_INSTANCE(keras_jax_rmsprop, .square = ADAM_C_MS_AXPBY_FMA,
                        .step = ADAM_C_RU_X_RSQRT_XLA, .momentum = ADAM_C_MOM_FMA_XRS)
/* keras_jax_eager_adamw, keras_tensorflow_adamw, keras_tensorflow_eager_adamw, tf_keras_adamw */
ADAM_C_ADAM_INSTANCE(keras_jax_eager_adamw, .decoupled = ADAM_C_DECOUPLED_SUBMUL)
/* keras_jax_eager_rmsprop, keras_tensorflow_eager_rmsprop */
ADAM_C_RMSPROP_INSTANCE(keras_jax_eager_rmsprop, .square = ADAM_C_MS_AXPBY)
/* keras_tensorflow_rmsprop */
ADAM_C_RMSPROP_INSTANCE(keras_tensorflow_rmsprop, .square = ADAM_C_MS_AXPBY,
                        .step = ADAM_C_RU_X_RSQRT_TF)
/* keras_tensorflow_rmsprop_tail */
ADAM_C_RMSPROP_INSTANCE(keras_tensorflow_rmsprop_tail, .square = ADAM_C_MS_AXPBY,
                        .step = ADAM_C_RU_X_RSQRT_IEEE)
/* keras_torch_adam */
ADAM_C_ADAM_INSTANCE(keras_torch_adam, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* keras_torch_adamw */
ADAM_C_ADAM_INSTANCE(keras_torch_adamw, .decoupled = ADAM_C_DECOUPLED_MUL,
                     .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* keras_torch_rmsprop */
ADAM_C_RMSPROP_INSTANCE(keras_torch_rmsprop, .square = ADAM_C_MS_SCAL_FMA,
                        .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* lasagne_0.1_rmsprop, lasagne_master_rmsprop */
ADAM_C_RMSPROP_INSTANCE(lasagne_0_1_rmsprop, .square = ADAM_C_MS_AXPBY,
                        .denom = ADAM_C_RD_EPS_FIRST_SQRT)
/* mxnet_adamax */
ADAM_C_ADAM_INSTANCE(mxnet_adamax, .grad_scale = ADAM_C_GSCALE_MUL,
                     .grad_decay = ADAM_C_GDECAY_L2, .first = ADAM_C_M_AXPBY,
                     .second = ADAM_C_V_MAX, .denom = ADAM_C_D_NONE)
/* mxnet_rmsprop */
ADAM_C_RMSPROP_INSTANCE(mxnet_rmsprop, .grad_scale = ADAM_C_GSCALE_MUL,
                        .grad_decay = ADAM_C_GDECAY_L2, .square = ADAM_C_MS_AXPBY,
                        .step = ADAM_C_RU_SCALE_OF_DIV)
/* optax_adamax */
ADAM_C_ADAM_INSTANCE(optax_adamax, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_MAX_EPS,
                     .denom = ADAM_C_D_NONE, .apply = ADAM_C_P_FMA)
/* optax_adamw */
ADAM_C_ADAM_INSTANCE(optax_adamw, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .denom = ADAM_C_D_MULBC_SQRT_EPS, .apply = ADAM_C_P_ADDWD_FMA)
/* optax_nadam */
ADAM_C_ADAM_INSTANCE(optax_nadam, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_FMA,
                     .numer = ADAM_C_NUM_NADAM_FMA, .denom = ADAM_C_D_MULBC_SQRT_EPS,
                     .step = ADAM_C_U_DIV, .apply = ADAM_C_P_FMA)
/* optax_rmsprop */
ADAM_C_RMSPROP_INSTANCE(optax_rmsprop, .square = ADAM_C_MS_SCAL_FMA,
                        .step = ADAM_C_RU_RSQRT_MUL, .momentum = ADAM_C_MOM_FMA)
/* pytorch_adam, torch_adam */
ADAM_C_ADAM_INSTANCE(pytorch_adam, .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_SCAL_FMA_CG,
                     .denom = ADAM_C_D_SQRT_BC_EPS, .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* pytorch_adamw, torch_adamw */
ADAM_C_ADAM_INSTANCE(pytorch_adamw, .decoupled = ADAM_C_DECOUPLED_MUL,
                     .first = ADAM_C_M_LERP_FMA, .second = ADAM_C_V_SCAL_FMA_CG,
                     .denom = ADAM_C_D_SQRT_BC_EPS, .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* pytorch_rmsprop, torch_rmsprop */
ADAM_C_RMSPROP_INSTANCE(pytorch_rmsprop, .square = ADAM_C_MS_SCAL_FMA_CG,
                        .denom = ADAM_C_RD_SQRT_EPS, .sqrt_kind = ADAM_C_SQRT_MKL_EX)
/* tensorflow_adamax */
ADAM_C_ADAM_INSTANCE(tensorflow_adamax, .second = ADAM_C_V_MAX, .denom = ADAM_C_D_EPS,
                     .step = ADAM_C_U_DIV, .apply = ADAM_C_P_SUB_SCALED)
/* tf_keras_rmsprop */
ADAM_C_RMSPROP_INSTANCE(tf_keras_rmsprop, .square = ADAM_C_MS_AXPBY,
                        .step = ADAM_C_RU_G_LRRSQRT_TF)
/* tf_keras_rmsprop_tail */
ADAM_C_RMSPROP_INSTANCE(tf_keras_rmsprop_tail, .square = ADAM_C_MS_AXPBY,
                        .step = ADAM_C_RU_G_LRRSQRT_IEEE)
/* torch7_adam */
ADAM_C_ADAM_INSTANCE(torch7_adam, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_SCAL_ADDCMUL)
/* torch7_adam_tail */
ADAM_C_ADAM_INSTANCE(torch7_adam_tail, .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_SCAL_ADDCMUL)
/* torch7_adamax */
ADAM_C_ADAM_INSTANCE(torch7_adamax, .first = ADAM_C_M_SCAL_FMA, .second = ADAM_C_V_MAX_EPS,
                     .denom = ADAM_C_D_NONE)
/* torch7_adamax_tail */
ADAM_C_ADAM_INSTANCE(torch7_adamax_tail, .first = ADAM_C_M_AXPBY, .second = ADAM_C_V_MAX_EPS,
                     .denom = ADAM_C_D_NONE)
