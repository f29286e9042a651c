"""A griffe extension for the API reference: `send_x = send_form(stream_x)` as the method it is.

`bsg_async._many.send_form` builds each high-volume `send_*` method from its `stream_*` method,
so the keywords are written once, on the stream form. Read statically, the send form is a class
attribute; this extension turns it into an async method with the stream form's parameters,
`BatchReport` for its return and the docstring written under the assignment, which is how
`inspect.signature` and type checkers see it too. Registered in `mkdocs.yml`.
"""

from __future__ import annotations

from typing import Any

import griffe


class SendForms(griffe.Extension):
    """Renders each `send_form(...)` class attribute as an async method."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        for name, member in list(cls.members.items()):
            value = getattr(member, "value", None)
            if not isinstance(value, griffe.ExprCall) or str(value.function) != "send_form":
                continue
            stream = cls.members[str(value.arguments[0])]
            if not isinstance(stream, griffe.Function):
                raise TypeError(f"{cls.path}.{name}: send_form of {stream.path}, not a method")
            method = griffe.Function(
                name,
                parameters=stream.parameters,
                returns=griffe.ExprName("BatchReport", parent="bsg_async"),
                lineno=member.lineno,
                endlineno=member.endlineno,
                docstring=member.docstring,
                parent=cls,
            )
            method.labels.add("async")
            if method.docstring is not None:
                method.docstring.parent = method
            cls.set_member(name, method)
