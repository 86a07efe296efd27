"""scikit-learn's estimator protocol, without importing scikit-learn to load a model.

``CodeSuggester`` takes its parameters in ``__init__`` and offers ``get_params``, ``set_params``
and a repr naming the parameters that differ from their defaults, as ``sklearn.base.BaseEstimator``
does, so ``sklearn.base.clone`` and ``evaluate`` work on it. It does not inherit from
``BaseEstimator``: importing scikit-learn brings SciPy's statistics (and pandas, when installed)
and took about 0.8 s here, which every ``dtors-nlp annotate`` re-run from cached vectors would
pay only to load a model. scikit-learn is imported when a model is fitted.
"""

from __future__ import annotations

import inspect
import reprlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11


SHORT = reprlib.Repr()  # parameter values in the repr, cut short: prior_data may be 1,000 passages
SHORT.maxlist, SHORT.maxstring, SHORT.maxother = 4, 80, 80


class Estimator:
    """Parameters from ``__init__``'s signature; subclasses store each under its own name."""

    @classmethod
    def _parameters(cls) -> dict[str, Any]:
        """Each ``__init__`` parameter's name and default."""
        signature = inspect.signature(cls.__init__)
        return {p.name: p.default for p in signature.parameters.values() if p.name != "self"}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters, by name (``deep`` is accepted for scikit-learn: none is nested)."""
        return {name: getattr(self, name) for name in self._parameters()}

    def set_params(self, **params: Any) -> Self:
        """Set parameters by name; ValueError for a name ``__init__`` does not take."""
        valid = self._parameters()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no parameter {name!r} (it has {', '.join(valid)})"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = self._parameters()
        changed = [
            f"{name}={SHORT.repr(value)}"
            for name, value in self.get_params().items()
            if not _same(value, defaults[name])
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return value is default or (type(value) is type(default) and bool(value == default))
    except (TypeError, ValueError):  # objects that compare elementwise
        return False


def check_fitted(estimator: Estimator, attribute: str) -> None:
    """scikit-learn's ``NotFittedError`` if ``estimator`` has no ``attribute`` yet."""
    if not hasattr(estimator, attribute):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )
