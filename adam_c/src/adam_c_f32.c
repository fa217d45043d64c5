/* adam_c_f32.c -- the float32 kernels: kernels.inc instantiated for float. */
#include "adam_c_internal.h"

#define T float
#define SFX f32
#define SQRT sqrtf
#define FMA fmaf
#define POW powf
#define FABS fabsf
#include "kernels.inc"
