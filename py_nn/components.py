"""The component registry shared by activations and losses: named (function, derivative) pairs.

A component is a ``(function, derivative)`` tuple, as in the seed article. The ones made by a
registry are :class:`Component` tuples that also carry a ``name`` and a ``config`` so a model
can be saved by name; a plain tuple written by a user works everywhere too. A registry is a
dict ``{name: factory}`` where ``factory(**config)`` returns a :class:`Component`.
"""


class Component(tuple):
    """A ``(function, derivative)`` tuple that also knows its registry name and settings."""

    def __new__(cls, function, derivative, name=None, config=None):
        self = super().__new__(cls, (function, derivative))
        self.name = name
        self.config = dict(config or {})
        return self

    def __repr__(self):
        settings = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"<{self.name}({settings})>"


def resolve(identifier, registry, kind):
    """A :class:`Component` from a name, a ``{"name", "config"}`` dict, or a (fn, derivative) tuple.

    A plain tuple of a registry's own functions gets their name, so it can be saved by name;
    any other tuple is kept as a custom component (``name`` None). ``kind`` names the argument
    in error messages (e.g. ``"hidden_activation"``).
    """
    if isinstance(identifier, Component):
        return identifier
    if isinstance(identifier, dict):
        config = identifier.get("config") or {}
        identifier, settings = identifier.get("name"), config
    else:
        settings = {}
    if isinstance(identifier, str):
        if identifier not in registry:
            raise ValueError(f"Unknown {kind} {identifier!r}; valid names are "
                             f"{', '.join(sorted(registry))}, or pass a (function, derivative) tuple.")
        try:
            return registry[identifier](**settings)
        except TypeError as exc:
            raise ValueError(f"{kind} {identifier!r}: bad settings {settings!r} ({exc}).") from None
    if (isinstance(identifier, (tuple, list)) and len(identifier) == 2
            and all(callable(f) for f in identifier)):
        fn, derivative = identifier
        for factory in registry.values():
            known = factory()
            if known[0] is fn and known[1] is derivative:
                return known
        return Component(fn, derivative, None)
    raise TypeError(f"{kind} must be a name ({', '.join(sorted(registry))}) or a tuple "
                    f"(function, derivative); got {identifier!r}.")
