"""The jinja2 sandbox templates run in: immutable, strict, deterministic, and bounded in work.

jinja2's sandbox stops attribute walks (`__class__`, `__globals__`) but not work: `range(10**9)`,
`'x' * 10**9`, `9**9**9`, nested loops or a macro that doubles a string would stall a worker.
Here every loop iteration counts against a per-render budget, `range` is capped, operators,
methods and filters that multiply sizes are checked before they run, and everything a template
writes, captured blocks and macros included, counts towards a ceiling.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import update_wrapper
from typing import Any, TypeVar

from jinja2 import StrictUndefined, nodes
from jinja2.defaults import DEFAULT_NAMESPACE
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from domain.templates.errors import TemplateTooLargeError

MAX_SOURCE_CHARS = 100_000
MAX_OUTPUT_CHARS = 512_000
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS
MAX_WRITTEN_CHARS = 4 * MAX_OUTPUT_CHARS
MAX_RANGE_ITEMS = 10_000
MAX_ITERATIONS = 100_000
MAX_FORMAT_WIDTH = 1_000
MAX_POWER_BITS = 4_096
MAX_JSON_INDENT = 16

_LOOP = "_arcadence_loop"
_VALUE = "_arcadence_value"
_WRITE = "_arcadence_write"
_DATA = "_arcadence_data"

T = TypeVar("T")


class _Budget:
    __slots__ = ("iterations", "written")

    def __init__(self) -> None:
        self.iterations = 0
        self.written = 0


# A context variable rather than template state: a template can shadow any variable it sees.
_BUDGET: ContextVar[_Budget | None] = ContextVar("arcadence_template_budget", default=None)


@contextmanager
def render_budget() -> Iterator[None]:
    """A fresh work budget for one render; the sandbox refuses to run outside one."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:
        raise RuntimeError("templates must be rendered inside render_budget()")
    return budget


def _too_large(message: str) -> TemplateTooLargeError:
    # The renderer re-raises it with the template's name and line.
    return TemplateTooLargeError("", message)


def _size(value: object) -> int | None:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        return len(value) + sum(len(v) for v in value if isinstance(v, str))
    return None


def _require(size: int, what: str) -> None:
    if size > MAX_VALUE_CHARS:
        raise _too_large(f"{what} would be over {MAX_VALUE_CHARS:,} characters")


def check_value(value: T) -> T:
    """The value, unless it is a string or collection past the size any one value may have."""
    size = _size(value)
    if size is not None:
        _require(size, "a value the template builds")
    return value


def _counted(iterable: Iterable[T]) -> Iterator[T]:
    budget = _budget()
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > MAX_ITERATIONS:
            raise _too_large(f"loops ran more than {MAX_ITERATIONS:,} times")
        yield item


def _write(value: T) -> T:
    budget = _budget()
    budget.written += len(value) if isinstance(value, str) else len(str(value))
    if budget.written > MAX_WRITTEN_CHARS:
        raise _too_large(
            f"the template wrote over {MAX_WRITTEN_CHARS:,} characters (captures and macros included)"
        )
    return value


# pass_context keeps jinja2 from calling these at compile time (constant folding).
@pass_context
def _loop_filter(context: Context, iterable: Iterable[T]) -> Iterator[T]:
    return _counted(iterable)


@pass_context
def _value_filter(context: Context, value: T) -> T:
    return check_value(value)


@pass_context
def _write_filter(context: Context, value: T) -> T:
    return _write(value)


@pass_context
def _data_filter(context: Context, value: str) -> str:
    # Static template text is trusted markup: it must not be escaped on its way out.
    return Markup(_write(value)) if context.eval_ctx.autoescape else _write(value)


class _Bounds(NodeTransformer):
    """Routes every loop, concatenation and written piece of a parsed template through a guard."""

    @staticmethod
    def _guard(node: nodes.Node, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = self._guard(node.iter, _LOOP)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        return self._guard(node, _VALUE)

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        self.generic_visit(node)
        node.nodes = [
            self._guard(child, _DATA if isinstance(child, nodes.TemplateData) else _WRITE)
            for child in node.nodes
        ]
        return node


def _bounded_range(*args: int) -> range:
    items = range(*args)
    try:
        count = len(items)
    except OverflowError:
        count = MAX_RANGE_ITEMS + 1
    if count > MAX_RANGE_ITEMS:
        raise _too_large(f"range() is limited to {MAX_RANGE_ITEMS:,} items")
    return items


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(pattern: str) -> None:
    for width, precision in _PERCENT_SPEC.findall(pattern):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                raise _too_large(f"format widths are limited to {MAX_FORMAT_WIDTH:,}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            size = _size(sequence)
            if size is not None and isinstance(times, int):
                _require(size * times, "a repeated string or list")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if abs(left) > 1 and abs(left).bit_length() * right > MAX_POWER_BITS:
            raise _too_large("a power is too large")
    elif operator == "%" and isinstance(left, str):
        _check_percent_format(left)


def _replace_size(text: str, old: str, new: str, count: int | None) -> int:
    occurrences = text.count(old)
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(len(new) - len(old), 0)


def _joined_size(separator: str, items: list[Any]) -> int:
    return sum(len(str(i)) for i in items) + len(separator) * max(len(items) - 1, 0)


# String methods that cannot grow a string; the ones that can are checked in _check_str_method,
# everything else (format, translate, encode, …) is refused.
_PLAIN_STR_METHODS = frozenset(
    {
        *("capitalize", "casefold", "lower", "upper", "swapcase", "title"),
        *("count", "find", "index", "rfind", "rindex", "startswith", "endswith"),
        *("isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower"),
        *("isnumeric", "isspace", "istitle", "isupper"),
        *("strip", "lstrip", "rstrip", "removeprefix", "removesuffix"),
        *("split", "rsplit", "splitlines", "partition", "rpartition"),
        *("escape", "striptags", "unescape"),  # Markup's own
    }
)


def _check_str_method(
    text: str, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    if name in _PLAIN_STR_METHODS:
        return args
    if name == "join" and args:
        items = list(_counted(args[0]))
        _require(_joined_size(text, items), "a joined string")
        return (items, *args[1:])
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = args[2] if len(args) > 2 else kwargs.get("count")
        _require(
            _replace_size(text, args[0], args[1], count if isinstance(count, int) else None),
            "a replaced string",
        )
        return args
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        _require(args[0], "a padded string")
        return args
    if name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            _require(text.count("\t") * tabsize + len(text), "an expanded string")
        return args
    raise SecurityError(f"str.{name}() is not allowed in templates")


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, str) and isinstance(obj, types.BuiltinMethodType | types.MethodType):
        return _check_str_method(owner, obj.__name__, args, kwargs)
    if isinstance(obj, types.BuiltinMethodType):
        # int.to_bytes(10**9) and friends: a builtin method asked for a huge size.
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_VALUE_CHARS:
                raise _too_large(f"an argument of {obj.__name__}() is too large")
    return args


def _filter_arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _check_filter(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Size checks for the built-in filters that can multiply their input; args exclude the pass arg."""
    if name == "center":
        width = _filter_arg(args, kwargs, 1, "width", 80)
        if isinstance(width, int):
            _require(width, "a centred string")
    elif name == "indent":
        text = str(args[0]) if args else ""
        width = _filter_arg(args, kwargs, 1, "width", 4)
        unit = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        _require(len(text) + (text.count("\n") + 1) * unit, "an indented string")
    elif name == "replace" and len(args) >= 3:
        count = _filter_arg(args, kwargs, 3, "count", None)
        size = _replace_size(
            str(args[0]), str(args[1]), str(args[2]), count if isinstance(count, int) else None
        )
        _require(size, "a replaced string")
    elif name == "join" and args and _filter_arg(args, kwargs, 2, "attribute", None) is None:
        items = list(_counted(args[0]))
        _require(_joined_size(str(_filter_arg(args, kwargs, 1, "d", "")), items), "a joined string")
        return (items, *args[1:])
    elif name in ("batch", "slice") and len(args) >= 2 and isinstance(args[1], int):
        if args[1] > MAX_RANGE_ITEMS:
            raise _too_large(f"{name} is limited to {MAX_RANGE_ITEMS:,}")
    elif name == "format" and args:
        _check_percent_format(str(args[0]))
    elif name == "wordwrap" and args:
        wrapstring = _filter_arg(args, kwargs, 3, "wrapstring", None)
        if isinstance(wrapstring, str):
            _require(len(str(args[0])) * (len(wrapstring) + 1), "a wrapped string")
    elif name == "urlize" and args:
        extra = sum(len(str(kwargs.get(k) or "")) for k in ("target", "rel"))
        _require(len(str(args[0])) * (1 + extra), "a linked text")
    elif name == "tojson":
        indent = _filter_arg(args, kwargs, 1, "indent", None)
        if isinstance(indent, int) and indent > MAX_JSON_INDENT:
            raise _too_large(f"tojson indent is limited to {MAX_JSON_INDENT}")
    return args


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes_arg = hasattr(function, "jinja_pass_arg")

    def guarded(*args: Any, **kwargs: Any) -> Any:
        head, rest = (args[:1], args[1:]) if passes_arg else ((), args)
        rest = _check_filter(name, rest, kwargs)
        return check_value(function(*head, *rest, **kwargs))

    # update_wrapper copies jinja_pass_arg, so jinja2 still passes the context or environment.
    return update_wrapper(guarded, function)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """An immutable sandbox with StrictUndefined whose templates cannot run away with time or memory."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, undefined=StrictUndefined, auto_reload=False)
        # No lipsum (large output in one call); range is capped.
        self.globals = {k: v for k, v in DEFAULT_NAMESPACE.items() if k != "lipsum"}
        self.globals["range"] = _bounded_range
        # `random` would make the same message render differently twice.
        self.filters = {
            name: _guarded_filter(name, function) for name, function in FILTERS.items() if name != "random"
        }
        self.filters.update(
            {_LOOP: _loop_filter, _VALUE: _value_filter, _WRITE: _write_filter, _DATA: _data_filter}
        )

    def add_filter(self, name: str, function: Callable[..., Any]) -> None:
        self.filters[name] = _guarded_filter(name, function)

    def _generate(
        self, source: nodes.Template, name: str | None, filename: str | None, defer_init: bool = False
    ) -> str:
        _Bounds().visit(source)
        source.set_environment(self)
        return super()._generate(source, name, filename, defer_init=defer_init)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return check_value(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> str:
            raise SecurityError("str.format() is not allowed in templates; use ~ or the format filter")

        return refused

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, LoopContext) and args:
            # loop(children) in a recursive for-loop iterates outside the parsed for node.
            args = (_counted(args[0]), *args[1:])
        args = _check_call(__obj, args, kwargs)
        return check_value(super().call(__context, __obj, *args, **kwargs))
