# _bind.pxi -- included by _core.pyx: checking the arrays of a step once, and recognising
# them at the next step.

# ---------------------------------------------------------------------------------------
# Checking and binding arrays. A step checks its arrays once (bind), remembers their
# pointers, and later steps on the very same arrays only re-check what can change in
# place: data pointer, size, dtype, writeability.
#
# Overlap: every parameter must be disjoint from every other buffer. Intervals are sorted
# by start; a parameter overlaps if it starts before the furthest end seen so far, a
# gradient if it starts before the furthest parameter end (gradients may share memory).
# State buffers belong to the optimizer and are never handed out, so they are not checked.
# ---------------------------------------------------------------------------------------

ctypedef struct _span:
    uintptr_t start, end
    int is_param
    Py_ssize_t index


cdef int _cmp_span(const void *a, const void *b) noexcept nogil:
    cdef uintptr_t x = (<const _span *>a).start, y = (<const _span *>b).start
    return -1 if x < y else (1 if x > y else 0)


cdef Py_ssize_t _first_overlap(_span *s, Py_ssize_t k) noexcept nogil:
    """-1, or the index (in the sorted array) of a span that overlaps an earlier one."""
    cdef uintptr_t end_all = 0, end_par = 0
    cdef Py_ssize_t i
    qsort(s, k, sizeof(_span), _cmp_span)
    for i in range(k):
        if s[i].start == s[i].end:
            continue
        if (s[i].is_param and s[i].start < end_all) or (not s[i].is_param and s[i].start < end_par):
            return i
        if s[i].end > end_all:
            end_all = s[i].end
        if s[i].is_param and s[i].end > end_par:
            end_par = s[i].end
    return -1


cdef inline bint _unchanged(cnp.ndarray x, void *data, Py_ssize_t n, int type_num) noexcept:
    return (cnp.PyArray_DATA(x) == data and cnp.PyArray_SIZE(x) == n
            and cnp.PyArray_TYPE(x) == type_num)


cdef class _Bound:
    """The checked buffers of one bind: 5 pointers per array (p, g and the family's three
    state buffers, NULL where unused), each array's size, dtype, segments (boundaries
    b0 = 0 < b1 < ... = n: the body row runs [b0, b1), a tail row [b1, b2), the body row
    [b2, b3), ...) and scalar set (one per distinct dtype and
    learning-rate multiplier), and the arrays themselves (kept alive, and recognised by
    identity on the next step)."""
    cdef void **ptr
    cdef Py_ssize_t *n
    cdef Py_ssize_t *seg              # every array's boundaries, one after the other
    cdef Py_ssize_t *seg_at           # where array i's boundaries start in seg (k + 1)
    cdef int *type_num
    cdef int *key
    cdef uintptr_t *pspan             # the non-empty parameters' [start, end) byte
    cdef Py_ssize_t npspan            # ranges, sorted (they are disjoint): 2 per range
    cdef Py_ssize_t k
    cdef list params, grads
    cdef object single                # the one parameter array of step(p, g), or None

    def __dealloc__(self):
        free(self.ptr)
        free(self.n)
        free(self.seg)
        free(self.seg_at)
        free(self.type_num)
        free(self.key)
        free(self.pspan)

    cdef bint hits_param(self, uintptr_t start, uintptr_t end) noexcept:
        """[start, end) intersects a parameter (binary search in the sorted ranges)."""
        cdef Py_ssize_t lo = 0, hi = self.npspan, mid
        if start == end:
            return False
        while lo < hi:                   # the first range starting at or after end
            mid = (lo + hi) // 2
            if self.pspan[2 * mid] < end:
                lo = mid + 1
            else:
                hi = mid
        return lo > 0 and self.pspan[2 * (lo - 1) + 1] > start

    cdef bint same_params(self, object params) noexcept:
        """params (one array or a list) are the bound parameter arrays, unchanged."""
        cdef Py_ssize_t i
        cdef object p
        if self.single is not None:
            if params is not self.single:
                return False
            p = params
            return (_unchanged(<cnp.ndarray>p, self.ptr[0], self.n[0], self.type_num[0])
                    and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>p))
        if type(params) is not list or len(<list>params) != self.k:
            return False
        for i in range(self.k):
            p = (<list>params)[i]
            if p is not self.params[i] or not (
                    _unchanged(<cnp.ndarray>p, self.ptr[5 * i], self.n[i], self.type_num[i])
                    and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>p)):
                return False
        return True

    cdef bint same_grads(self, object grads) noexcept:
        """grads are the bound gradient arrays, unchanged, except that any of them may be
        a new array that passes every check (then it is bound in its place): one array
        for one parameter array, else a list of the same length."""
        cdef Py_ssize_t i
        if self.single is not None:
            if isinstance(grads, list) or not self._grad_ok(0, grads):
                return False
            self._rebind_grad(0, grads)
            return True
        if type(grads) is not list or len(<list>grads) != self.k:
            return False
        for i in range(self.k):          # check all before binding any
            if not self._grad_ok(i, (<list>grads)[i]):
                return False
        for i in range(self.k):
            self._rebind_grad(i, (<list>grads)[i])
        return True

    cdef bint _grad_ok(self, Py_ssize_t i, object g) noexcept:
        cdef cnp.ndarray x
        cdef uintptr_t gs
        if g is self.grads[i]:
            return _unchanged(<cnp.ndarray>g, self.ptr[5 * i + 1], self.n[i], self.type_num[i])
        if not array_ok(g, self.type_num[i], False):
            return False
        x = <cnp.ndarray>g
        if not cnp.PyArray_SAMESHAPE(x, <cnp.ndarray>self.params[i]):
            return False
        gs = <uintptr_t>cnp.PyArray_DATA(x)
        return not self.hits_param(gs, gs + <uintptr_t>cnp.PyArray_NBYTES(x))

    cdef void _rebind_grad(self, Py_ssize_t i, object g) noexcept:
        if g is not self.grads[i]:
            self.grads[i] = g
            self.ptr[5 * i + 1] = cnp.PyArray_DATA(<cnp.ndarray>g)


cdef list _as_list(object x, str what):
    """One ndarray, or a list/tuple of them, as a list of plain ndarrays (subclasses are
    updated through a plain view of their data)."""
    if cnp.PyArray_Check(x):
        return [x if type(x) is cnp.ndarray else x.view(cnp.ndarray)]
    if isinstance(x, (list, tuple)):
        out = []
        for i, a in enumerate(x):
            if not cnp.PyArray_Check(a):
                raise TypeError(f"{what}[{i}] must be a numpy.ndarray, got {type(a).__name__}")
            out.append(a if type(a) is cnp.ndarray else a.view(cnp.ndarray))
        return out
    raise TypeError(f"{what} must be a numpy.ndarray or a list of them, got {type(x).__name__}")


cdef tuple _segments(object p, object split, Py_ssize_t i):
    """The boundaries of array i's body and tail segments: (0, n, n) without a tail row,
    (0, split, n) for one split point, or the rule's own tuple, checked."""
    n = p.size
    if split is None:
        return (0, n, n)
    bnd = (0, split, n) if isinstance(split, int) else tuple(split)
    ok = len(bnd) >= 2 and bnd[0] == 0 and bnd[len(bnd) - 1] == n
    for j in range(len(bnd) - 1):
        ok = ok and bnd[j] <= bnd[j + 1]
    if not ok:
        raise ValueError(f"segments {bnd} of params[{i}] are not 0 <= ... <= {n}")
    return bnd


cdef _Bound _bind(list params, list grads, list state, tuple names, unsigned need,
                  object splits, list keys):
    """Check every array and return them bound; raise TypeError/ValueError, naming the
    array, before anything is written. ``state`` holds one dict of buffers per parameter
    (the names of ``names`` whose bit is set in ``need``), ``splits`` per array (or None)
    where the tail row takes over (an int) or the boundaries of alternating body and tail
    segments (a tuple from 0 to n), and ``keys`` one scalar-set index per array."""
    cdef Py_ssize_t k = len(params), i, j
    cdef _Bound b = _Bound()
    cdef cnp.ndarray p, g, a
    cdef _span *spans
    cdef int t
    if len(grads) != k:
        raise ValueError(f"got {k} parameter arrays but {len(grads)} gradients")
    b.params, b.grads, b.k = list(params), list(grads), k
    if k == 0:
        return b
    b.ptr = <void **>malloc(5 * k * sizeof(void *))
    b.n = <Py_ssize_t *>malloc(k * sizeof(Py_ssize_t))
    cdef list bounds = [_segments(params[i], None if splits is None else splits[i], i)
                        for i in range(k)]
    cdef Py_ssize_t nb = sum(len(bnd) for bnd in bounds)
    b.seg = <Py_ssize_t *>malloc(max(1, nb) * sizeof(Py_ssize_t))
    b.seg_at = <Py_ssize_t *>malloc((k + 1) * sizeof(Py_ssize_t))
    b.type_num = <int *>malloc(k * sizeof(int))
    b.key = <int *>malloc(k * sizeof(int))
    b.pspan = <uintptr_t *>malloc(2 * k * sizeof(uintptr_t))
    spans = <_span *>malloc(2 * k * sizeof(_span))
    try:
        if not (b.ptr and b.n and b.seg and b.seg_at and b.type_num and b.key and b.pspan
                and spans):
            raise MemoryError()
        nb = 0
        for i in range(k):
            b.seg_at[i] = nb
            for j in bounds[i]:
                b.seg[nb] = j
                nb += 1
        b.seg_at[k] = nb
        for i in range(k):
            p = params[i]
            t = cnp.PyArray_TYPE(p)
            if t != cnp.NPY_FLOAT and t != cnp.NPY_DOUBLE:
                raise TypeError(f"params[{i}] has dtype {p.dtype}; adamkit updates float32 "
                                "or float64 arrays in place (convert with astype first)")
            check_array(p, t, True, "params", i)
            check_array(grads[i], t, False, "grads", i)
            g = grads[i]
            if not cnp.PyArray_SAMESHAPE(p, g):
                raise ValueError(f"grads[{i}] has shape {(<object>g).shape} but params[{i}] "
                                 f"has {(<object>p).shape}")
            b.type_num[i] = t
            b.n[i] = cnp.PyArray_SIZE(p)
            b.key[i] = keys[i]
            b.ptr[5 * i] = cnp.PyArray_DATA(p)
            b.ptr[5 * i + 1] = cnp.PyArray_DATA(g)
            st = state[i]
            for j in range(3):
                b.ptr[5 * i + 2 + j] = NULL
                if need >> j & 1:
                    a = st[names[j]]
                    check_array(a, t, True, names[j], i)
                    if cnp.PyArray_SIZE(a) != b.n[i]:
                        raise ValueError(f"params[{i}] and its state differ in size")
                    b.ptr[5 * i + 2 + j] = cnp.PyArray_DATA(a)
            spans[2 * i].start = <uintptr_t>b.ptr[5 * i]
            spans[2 * i].end = spans[2 * i].start + <uintptr_t>cnp.PyArray_NBYTES(p)
            spans[2 * i].is_param = 1
            spans[2 * i + 1].start = <uintptr_t>b.ptr[5 * i + 1]
            spans[2 * i + 1].end = spans[2 * i + 1].start + <uintptr_t>cnp.PyArray_NBYTES(g)
            spans[2 * i + 1].is_param = 0
        if _first_overlap(spans, 2 * k) >= 0:
            raise ValueError("a parameter array and another buffer share memory; an "
                             "in-place update needs distinct buffers")
        for i in range(2 * k):           # spans are sorted now
            if spans[i].is_param and spans[i].end > spans[i].start:
                b.pspan[2 * b.npspan] = spans[i].start
                b.pspan[2 * b.npspan + 1] = spans[i].end
                b.npspan += 1
    finally:
        free(spans)
    return b
