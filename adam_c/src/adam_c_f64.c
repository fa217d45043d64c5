/* adam_c_f64.c -- the float64 kernels: kernels.inc instantiated for double. */
#include "adam_c_internal.h"

#define T double
#define SFX f64
#define SQRT sqrt
#define FMA fma
#define POW pow
#define POW_HALF adam_c_pow_half
#define POW_SQ adam_c_pow_sq
#define FABS fabs
#include "kernels.inc"
