"""patchq: carry a distribution's downstream patches on top of upstream OpenStack.

The package is a library (series model, git boundary, engines) with a thin click CLI on top.
"""

__version__ = "0.1.0"
