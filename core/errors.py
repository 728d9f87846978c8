"""The base of each app's domain error. A user sees ``messages``; never a traceback."""


class DomainError(Exception):
    def __init__(self, *messages: object) -> None:
        flat: list[object] = []
        for m in messages:
            flat.extend(m if isinstance(m, (list, tuple)) else [m])
        self.messages = [str(m) for m in flat]
        super().__init__(" ".join(self.messages))


class ConflictError(DomainError):
    """Someone else changed the object first: nothing was applied."""
