"""The fake One-API's routing table: which handler answers which method and path.

Each area of the fake (login and balance, RCS and campaigns, and every area added later) is
a class whose `routes()` method lists its operations as `Route`s, next to its handlers, and
`FakeBSG` builds one `Router` from all of them. Adding an operation to the fake is a handler
plus one `Route` line:

    Route("PATCH", "campaigns/{id}/stop", lambda call: self.stop(call.params["id"]))

A path template is matched after `/api/`; `{name}` takes one path segment (percent-encoded, as
received) into `call.params`. Every route needs a valid bearer token unless `public`.

The legacy REST API (SMS, Viber, HLR, prices, balance) is routed the same way by a second
`Router` built with `legacy=True`: its templates match the end of a path after any prefix
(`/rest/sms/create` and `/sms/create` alike), the first template that matches decides
(`sms/create` before `sms/{id}`), and its caller checks the API key, not a bearer token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._json import loads_or_none
from ._reply import Reply

__all__ = ["Call", "Handler", "Route", "Router", "legacy_send"]

_PARAM = re.compile(r"\{([a-z_]+)\}")
_API = re.compile(r".*/api/", re.DOTALL)


@attrs.frozen
class Call:
    """One One-API request as a handler sees it: the path's `params`, the raw `query` string,
    the `headers` (lower-case names) and the raw `body`."""

    params: Mapping[str, str]
    query: str
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=False)

    def json(self) -> Any:
        """The body decoded as JSON, or `None` when it is empty or not JSON (the handler's
        validation then answers 422 as the service does)."""
        return loads_or_none(self.body)


Handler = Callable[[Call], Reply]
"""What answers a route: the request in, the reply out."""


@attrs.frozen
class Route:
    """One operation: its HTTP `method`, its path `template` after `/api/` (`"campaigns/{id}"`),
    its `handler`, and whether it is `public` (answered without a bearer token)."""

    method: str
    template: str
    handler: Handler
    public: bool = False

    def pattern(self) -> str:
        """The template as a regular expression with one named group per `{param}`."""
        return _pattern(self.template)


def _pattern(template: str, prefix: str = "") -> str:
    """`template` as a regular expression with one group per `{param}`, named `prefix` + the
    param's name."""
    parts = _PARAM.split(template)
    # `split` alternates literal text and parameter names.
    return "".join(
        f"(?P<{prefix}{part}>[^/]*)" if index % 2 else re.escape(part)
        for index, part in enumerate(parts)
    )


_End = tuple[dict[str, Route], tuple[tuple[str, str], ...]]
"""A legacy template: its routes by method, and (param, group name) for each of its params."""


def _legacy_ends(routes: tuple[Route, ...]) -> tuple[tuple[_End, ...], re.Pattern[str]]:
    """The legacy templates, and one expression (one match a request, not one per route) that
    finds which of them ends a path: the shortest end a template matches, the first such
    template of the routes' order."""
    templates: dict[str, dict[str, Route]] = {}
    for route in routes:
        templates.setdefault(route.template, {})[route.method] = route
    ends = tuple(
        (methods, tuple((name, f"t{index}_{name}") for name in _PARAM.findall(template)))
        for index, (template, methods) in enumerate(templates.items())
    )
    alternatives = "|".join(
        f"(?P<t{index}>{_pattern(template, f't{index}_')})"
        for index, template in enumerate(templates)
    )
    return ends, re.compile(f".*/(?:{alternatives})\\Z", re.DOTALL)


def legacy_send(template: str, handler: Handler) -> tuple[Route, Route]:
    """The routes of a legacy API send, which takes `POST` and `PUT` alike."""
    return Route("POST", template, handler), Route("PUT", template, handler)


@attrs.frozen
class Match:
    """What the router found for a path: the `route` to run (`None` when the path exists but
    not for that method) and the path's `params`."""

    route: Route | None
    params: Mapping[str, str]


class Router:
    """Finds the route of a One-API request among `routes`.

    `areas` are the first path segments after `/api/` that belong to the One-API (`"auth"`,
    `"campaigns"`, ...): a path outside them is not the One-API's, so the legacy routes get it.

    With `legacy=True` (the legacy REST API, see the module docstring) a template matches the
    end of any path, and the first route whose template matches decides: its method, another
    route of the same template, or 405.
    """

    def __init__(self, routes: Iterable[Route], *, legacy: bool = False) -> None:
        self.routes = tuple(routes)
        keys = [(route.method, route.template) for route in self.routes]
        if len(set(keys)) != len(keys):
            raise ValueError("two routes for one method and path")
        self.areas = frozenset(route.template.split("/", 1)[0] for route in self.routes)
        self.legacy = legacy
        self._compiled = (
            []
            if legacy
            else [(re.compile(route.pattern() + r"\Z"), route) for route in self.routes]
        )
        self._ends: tuple[_End, ...] = ()
        self._any_end: re.Pattern[str] | None = None
        if legacy:
            self._ends, self._any_end = _legacy_ends(self.routes)

    def owns(self, path: str) -> bool:
        """Whether `path` is in one of the One-API's areas."""
        found = _API.match(path)
        if found is None:
            return False
        rest = path[found.end() :]
        return rest.split("/", 1)[0] in self.areas

    def match(self, method: str, path: str) -> Match | None:
        """The route for `method` on `path`; `Match(None, ...)` when the path exists only for
        other methods (405); `None` when no route has that path (404)."""
        if self.legacy:
            return self._match_end(method, path)
        found = _API.match(path)
        if found is None:
            return None
        rest = path[found.end() :]
        other: Match | None = None
        for pattern, route in self._compiled:
            matched = pattern.fullmatch(rest)
            if matched is None:
                continue
            if route.method == method:
                return Match(route, matched.groupdict())
            other = Match(None, matched.groupdict())
        return other

    def _match_end(self, method: str, path: str) -> Match | None:
        """`match` of a legacy router: the template that the end of `path` matches decides."""
        assert self._any_end is not None
        matched = self._any_end.match(path)
        if matched is None or matched.lastgroup is None:
            return None
        # The template's group encloses its params' groups, so it is the last one closed.
        index = int(matched.lastgroup[1:])
        methods, groups = self._ends[index]
        return Match(methods.get(method), {name: matched[group] for name, group in groups})
