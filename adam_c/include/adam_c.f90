! adam_c.f90 -- Fortran 2003 (iso_c_binding) interface to adamkit's C core, adam_c.h.
!
! Shipped with adamkit in the same directory as adam_c.h (adamkit.get_include()).
! Compile it once with your program and link the static library:
!
!     INC=$(python3 -c "import adamkit; print(adamkit.get_include())")
!     LIB=$(python3 -c "import adamkit; print(adamkit.get_lib())")
!     gfortran -c $INC/adam_c.f90 && gfortran prog.f90 adam_c.o -L$LIB -ladam_c -lm
!
! The types are bind(c) copies of the C structs (same fields, same order); the functions
! are the C functions themselves (bind(c, name=...)), so a call is a direct C call.
! Semantics, the values of every ops field and the status codes: see adam_c.h.
! The optional buffers (vhat; mg, mom) are passed as NULL when absent (Fortran 2018 /
! TS 29113 OPTIONAL in BIND(C) interfaces; gfortran >= 4.9).
module adam_c
    use, intrinsic :: iso_c_binding, only: c_int, c_long, c_size_t, c_float, c_double, &
                                           c_ptr, c_char, c_null_char, c_f_pointer, &
                                           c_associated
    implicit none
    private :: c_int, c_long, c_size_t, c_float, c_double, c_ptr, c_char, c_null_char, &
               c_f_pointer, c_associated

    ! status codes
    integer(c_int), parameter :: ADAM_C_OK = 0, ADAM_C_ENULL = -1, ADAM_C_EOPS = -2

    ! ops values used by adamkit's own modes (adam_c.h lists them all)
    integer(c_int), parameter :: ADAM_C_D_SQRT_BC_EPS = 1, ADAM_C_RD_SQRT_EPS = 1, &
                                 ADAM_C_MOM_NONE = 0, ADAM_C_MOM_ACC = 1, &
                                 ADAM_C_GDECAY_NONE = 0, ADAM_C_GDECAY_L2 = 1

    type, bind(c) :: adam_c_adam_ops
        integer(c_int) :: maximize
        integer(c_int) :: grad_scale
        integer(c_int) :: grad_decay
        integer(c_int) :: grad_clip
        integer(c_int) :: decoupled
        integer(c_int) :: first
        integer(c_int) :: second
        integer(c_int) :: amsgrad
        integer(c_int) :: numer
        integer(c_int) :: denom
        integer(c_int) :: step
        integer(c_int) :: apply
        integer(c_int) :: sqrt_kind
        integer(c_int) :: ftz
    end type adam_c_adam_ops

    type, bind(c) :: adam_c_adam_scalars
        real(c_double) :: b1, c1
        real(c_double) :: b2, c2
        real(c_double) :: eps
        real(c_double) :: eps_root
        real(c_double) :: alpha
        real(c_double) :: bc1
        real(c_double) :: bc1n
        real(c_double) :: bc2
        real(c_double) :: s
        real(c_double) :: k
        real(c_double) :: gmul, gdiv
        real(c_double) :: wd
        real(c_double) :: clip
        real(c_double) :: dk, dlr
        real(c_double) :: l1, l2
        real(c_double) :: lo, hi
        real(c_double) :: dscale
    end type adam_c_adam_scalars

    type, bind(c) :: adam_c_rmsprop_ops
        integer(c_int) :: maximize, grad_scale, grad_decay, grad_clip, decoupled
        integer(c_int) :: square
        integer(c_int) :: center
        integer(c_int) :: denom
        integer(c_int) :: step
        integer(c_int) :: momentum
        integer(c_int) :: variance
        integer(c_int) :: sqrt_kind
        integer(c_int) :: ftz
    end type adam_c_rmsprop_ops

    type, bind(c) :: adam_c_rmsprop_scalars
        real(c_double) :: rho, c
        real(c_double) :: eps
        real(c_double) :: lr
        real(c_double) :: mu
        real(c_double) :: gmul, gdiv, wd, clip, dk, dlr
        real(c_double) :: dscale
    end type adam_c_rmsprop_scalars

    interface
        integer(c_int) function adam_c_adam_f32(ops, s, p, g, m, v, vhat, n) &
                bind(c, name="adam_c_adam_f32")
            import :: c_int, c_size_t, c_float, adam_c_adam_ops, adam_c_adam_scalars
            type(adam_c_adam_ops), intent(in) :: ops
            type(adam_c_adam_scalars), intent(in) :: s
            real(c_float), intent(inout) :: p(*), m(*), v(*)
            real(c_float), intent(in) :: g(*)
            real(c_float), intent(inout), optional :: vhat(*)
            integer(c_size_t), value :: n
        end function adam_c_adam_f32

        integer(c_int) function adam_c_adam_f64(ops, s, p, g, m, v, vhat, n) &
                bind(c, name="adam_c_adam_f64")
            import :: c_int, c_size_t, c_double, adam_c_adam_ops, adam_c_adam_scalars
            type(adam_c_adam_ops), intent(in) :: ops
            type(adam_c_adam_scalars), intent(in) :: s
            real(c_double), intent(inout) :: p(*), m(*), v(*)
            real(c_double), intent(in) :: g(*)
            real(c_double), intent(inout), optional :: vhat(*)
            integer(c_size_t), value :: n
        end function adam_c_adam_f64

        integer(c_int) function adam_c_rmsprop_f32(ops, s, p, g, ms, mg, mom, n) &
                bind(c, name="adam_c_rmsprop_f32")
            import :: c_int, c_size_t, c_float, adam_c_rmsprop_ops, adam_c_rmsprop_scalars
            type(adam_c_rmsprop_ops), intent(in) :: ops
            type(adam_c_rmsprop_scalars), intent(in) :: s
            real(c_float), intent(inout) :: p(*), ms(*)
            real(c_float), intent(in) :: g(*)
            real(c_float), intent(inout), optional :: mg(*), mom(*)
            integer(c_size_t), value :: n
        end function adam_c_rmsprop_f32

        integer(c_int) function adam_c_rmsprop_f64(ops, s, p, g, ms, mg, mom, n) &
                bind(c, name="adam_c_rmsprop_f64")
            import :: c_int, c_size_t, c_double, adam_c_rmsprop_ops, adam_c_rmsprop_scalars
            type(adam_c_rmsprop_ops), intent(in) :: ops
            type(adam_c_rmsprop_scalars), intent(in) :: s
            real(c_double), intent(inout) :: p(*), ms(*)
            real(c_double), intent(in) :: g(*)
            real(c_double), intent(inout), optional :: mg(*), mom(*)
            integer(c_size_t), value :: n
        end function adam_c_rmsprop_f64

        integer(c_int) function adam_c_adam_ops_check(ops) bind(c, name="adam_c_adam_ops_check")
            import :: c_int, adam_c_adam_ops
            type(adam_c_adam_ops), intent(in) :: ops
        end function adam_c_adam_ops_check

        integer(c_int) function adam_c_rmsprop_ops_check(ops) &
                bind(c, name="adam_c_rmsprop_ops_check")
            import :: c_int, adam_c_rmsprop_ops
            type(adam_c_rmsprop_ops), intent(in) :: ops
        end function adam_c_rmsprop_ops_check

        ! adamkit.Adam(lr, betas=(b1, b2), eps, weight_decay) at step t (from 1)
        subroutine adam_c_adam_default(ops, s, lr, b1, b2, eps, weight_decay, t, is_float32) &
                bind(c, name="adam_c_adam_default")
            import :: c_int, c_long, c_double, adam_c_adam_ops, adam_c_adam_scalars
            type(adam_c_adam_ops), intent(out) :: ops
            type(adam_c_adam_scalars), intent(out) :: s
            real(c_double), value :: lr, b1, b2, eps, weight_decay
            integer(c_long), value :: t
            integer(c_int), value :: is_float32
        end subroutine adam_c_adam_default

        ! adamkit.RMSProp(lr, alpha=rho, eps, weight_decay, momentum=momentum)
        subroutine adam_c_rmsprop_default(ops, s, lr, rho, eps, momentum, weight_decay, &
                                          is_float32) bind(c, name="adam_c_rmsprop_default")
            import :: c_int, c_double, adam_c_rmsprop_ops, adam_c_rmsprop_scalars
            type(adam_c_rmsprop_ops), intent(out) :: ops
            type(adam_c_rmsprop_scalars), intent(out) :: s
            real(c_double), value :: lr, rho, eps, momentum, weight_decay
            integer(c_int), value :: is_float32
        end subroutine adam_c_rmsprop_default

        type(c_ptr) function adam_c_strerror_c(status) bind(c, name="adam_c_strerror")
            import :: c_ptr, c_int
            integer(c_int), value :: status
        end function adam_c_strerror_c
    end interface

contains

    ! The message of a status code as a Fortran string.
    function adam_c_strerror(status) result(msg)
        integer(c_int), intent(in) :: status
        character(len=:), allocatable :: msg
        character(kind=c_char), pointer :: chars(:)
        type(c_ptr) :: cp
        integer :: i
        cp = adam_c_strerror_c(status)
        msg = ""
        if (.not. c_associated(cp)) return
        call c_f_pointer(cp, chars, [256])
        do i = 1, 256
            if (chars(i) == c_null_char) exit
            msg = msg // chars(i)
        end do
    end function adam_c_strerror

end module adam_c
