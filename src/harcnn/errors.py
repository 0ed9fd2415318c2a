"""One exception type for problems a user can fix (bad files, bad specs, missing data), and one
warning type for a setting the data cannot take, which harcnn leaves out and says so.

The CLI prints errors as one line and exits with status 2, warnings as one line starting "note:";
anything else is a bug and keeps its traceback. A ValueError, as scikit-learn expects of bad
parameters and input.
"""


class HarcnnError(ValueError):
    """A problem with the user's input, described so that they can fix it."""


class HarcnnWarning(UserWarning):
    """A setting that the data cannot take and that training does without (say, rotation of data with
    no x/y/z channels), so that one recipe runs on any dataset."""
