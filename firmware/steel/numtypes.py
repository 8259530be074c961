"""The exact rationals and the complex numbers of Steel's numeric tower.

Exact integers are Python ints and inexact reals Python floats; the other two kinds are
these classes, because MicroPython has no ``fractions`` module (and its ``complex`` has
float parts only, while Steel's ``1+2i`` is exact).  Both are immutable and always
normalised by their constructors, so structural equality is field equality:

* :func:`rational` gives an ``int`` when the denominator divides the numerator, and a
  :class:`Rational` in lowest terms with a positive denominator otherwise;
* :func:`rectangular` gives the real part alone when the imaginary part is an exact
  zero (``1+0i`` is ``1``, as in Steel and Racket; ``1+0.0i`` stays complex).

Arithmetic on them lives in :mod:`firmware.steel.lib.realmath` and
:mod:`firmware.steel.lib.arithmetic`; the reader builds them from literals and the printer
writes them.
"""


class Rational:
    """``num/den`` in lowest terms, ``den > 1``; build with :func:`rational`."""

    __slots__ = ("num", "den")

    def __init__(self, num, den):
        self.num = num
        self.den = den

    def __repr__(self):
        return "%d/%d" % (self.num, self.den)


class Complex:
    """``re + im i``; each part an int, Rational or float, ``im`` never an exact zero."""

    __slots__ = ("re", "im")

    def __init__(self, re, im):
        self.re = re
        self.im = im

    def __repr__(self):
        return "Complex(%r, %r)" % (self.re, self.im)


def gcd(a, b):
    """The greatest common divisor of two exact integers (MicroPython's math has none)."""
    if a < 0:
        a = -a
    if b < 0:
        b = -b
    while b:
        a, b = b, a % b
    return a


def rational(num, den):
    """The exact number ``num/den`` (``den`` non-zero), normalised."""
    if den < 0:
        num = -num
        den = -den
    g = gcd(num, den)
    if g != 1:
        num //= g
        den //= g
    if den == 1:
        return num
    return Rational(num, den)


def rectangular(re, im):
    """The number ``re + im i``, normalised (an exact zero ``im`` gives ``re``)."""
    if type(im) is int and im == 0:
        return re
    return Complex(re, im)
