"""One exception type for problems a user can fix (bad files, bad specs, missing data).

The CLI prints these as one line and exits with status 2; anything else is a bug and keeps its traceback.
A ValueError, as scikit-learn expects of bad parameters and input.
"""


class HarcnnError(ValueError):
    """A problem with the user's input, described so that they can fix it."""
