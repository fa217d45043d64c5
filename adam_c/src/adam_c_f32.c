/* adam_c_f32.c -- the float32 kernels: kernels.inc instantiated for float. */
#include "adam_c_internal.h"

#define T float
#define SFX f32
#define SQRT sqrtf
#define FMA fmaf
#define POW powf
#define POW_HALF adam_c_powf_half
#define POW_SQ adam_c_powf_sq
#define FABS fabsf
#include "kernels.inc"
