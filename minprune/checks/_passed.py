"""What a check returns for a right answer."""


class Passed:
    """A right answer: true, and shown in a notebook as ``True``, but not as the cell's value.

    nbgrader reads the value a test cell ends with (its ``execute_result``) as partial credit
    and warns when that value is not a number, such as ``True``. A check returns this object
    instead: ``bool(PASSED)`` is true and ``PASSED == True``, and IPython shows it through
    ``_ipython_display_`` as a display, not as the cell's value, so a graded test cell that
    ends with a check gets its full points and a learner working alone still sees ``True``.
    A wrong answer raises ``AssertionError`` with a hint, as before: that is what the grader
    counts as zero points, and what a learner outside the grader reads.
    """

    __slots__ = ()

    def __bool__(self):
        return True

    def __eq__(self, other):
        return other is True or isinstance(other, Passed)

    def __hash__(self):
        return hash(True)

    def __repr__(self):
        return "True"

    def _ipython_display_(self):
        from IPython.display import display

        display({"text/plain": "True"}, raw=True)


PASSED = Passed()
