"""Checks of constructor arguments shared by heads, losses and centers."""


def check_positive_integers(owner: str, **values) -> None:
    """Raise ValueError unless every value is an int >= 1 (not a bool)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f'{owner}: {name} must be an integer >= 1, got {value!r}')
