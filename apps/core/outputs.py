"""One declaration per output shape.

An ``OutputSpec`` lists a resource's fields once (public name, the column or
attribute it reads, the converter that writes it). Everything else is derived:

* ``spec.columns``: what a list selector fetches with ``values(*spec.columns)``;
* ``spec.render(row)`` / ``spec.render_many(rows)``: the fast path for
  ``values()`` rows (no per-field serializer machinery on hot lists);
* ``spec.render_instance(obj)``: the same for a model instance;
* ``spec.serializer``: a DRF serializer class for drf-spectacular (and for
  any code that wants ``Output(obj).data``); its schema fields come from the
  model's fields, as a ModelSerializer would build them, unless a field
  declares its own.

So the JSON, the columns and the schema cannot drift apart.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import Model
from rest_framework import serializers

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class OutputField:
    """One field of an output: ``name`` in the JSON, ``column`` read from the row, ``convert`` applied to it.

    ``schema`` is the DRF field that documents it; without one the model field
    named ``column`` is documented as a ModelSerializer would. A computed
    field has no column: ``compute(row)`` reads the ``needs`` columns of the row.
    """

    name: str
    column: str | None
    convert: Converter | None = None
    schema: serializers.Field | None = None
    compute: Callable[[Mapping[str, Any]], Any] | None = None
    needs: tuple[str, ...] = ()


def field(
    name: str, convert: Converter | None = None, *, column: str | None = None, schema: serializers.Field | None = None
) -> OutputField:
    """Shorthand: ``field("clinic", as_id, column="clinic_id", schema=UUIDField())``."""
    return OutputField(name=name, column=column or name, convert=convert, schema=schema)


def _sourced(schema: serializers.Field, column: str) -> serializers.Field:
    """A fresh copy of ``schema`` reading ``column`` (DRF copies fields from their init arguments).

    A ``values()`` join such as ``clinic__time_zone`` becomes DRF's dotted source
    ``clinic.time_zone``, so the field reads an instance as the row reads the join.
    """
    kwargs = {**schema._kwargs}  # type: ignore[attr-defined]
    if kwargs.get("source") is None and not isinstance(schema, serializers.BaseSerializer):
        kwargs["source"] = column.replace("__", ".")
    return type(schema)(*schema._args, **kwargs)  # type: ignore[attr-defined]


def _compiled(plan: Sequence[tuple[str, str, Converter | None]]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """One dict display per spec, as a hand-written renderer would be: no per-field loop at run time.

    Measured for 20 patient rows: 0.47 ms against 0.51 ms for the hand-written
    function it replaced and 0.68 ms for a generic loop over the plan. The
    source holds only ``repr()`` of the declared names and columns (code, never
    input), and the converters are passed in by reference.
    """
    namespace: dict[str, Any] = {}
    items = []
    for index, (name, column, convert) in enumerate(plan):
        if convert is None:
            items.append(f"{name!r}: row[{column!r}]")
        else:
            namespace[f"convert_{index}"] = convert
            items.append(f"{name!r}: convert_{index}(row[{column!r}])")
    source = "def render_row(row):\n    return {" + ", ".join(items) + "}\n"
    exec(compile(source, "<output spec>", "exec"), namespace)  # noqa: S102  (see the docstring)
    return namespace["render_row"]


def computed(
    name: str, compute: Callable[[Mapping[str, Any]], Any], *, needs: Sequence[str], schema: serializers.Field
) -> OutputField:
    """A field derived from several columns of the row, e.g. money in the row's currency:
    ``computed("total", lambda row: money(row["total"], row["currency"]), needs=("total", "currency"), schema=...)``.
    """
    return OutputField(name=name, column=None, compute=compute, needs=tuple(needs), schema=schema)


def _attribute(obj: Any, column: str) -> Any:
    """``obj.column``, following a ``values()`` join such as ``clinic__time_zone`` (None stops the walk)."""
    value = obj
    for part in column.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


class OutputSpec:
    """The declared output of one resource (see the module docstring)."""

    def __init__(self, name: str, *, model: type[Model], fields: Sequence[OutputField]) -> None:
        names = [f.name for f in fields]
        assert len(set(names)) == len(names), f"{name}: a field is declared twice"
        self.name = name
        self.model = model
        self.fields = tuple(fields)
        for f in fields:
            assert (f.column is None) == (f.compute is not None), f"{name}.{f.name}: a column or a compute, not both"
            assert f.compute is None or f.schema is not None, f"{name}.{f.name}: a computed field needs a schema"
        wanted = [column for f in fields for column in ((f.column,) if f.column is not None else f.needs)]
        self.columns: tuple[str, ...] = tuple(dict.fromkeys(wanted))
        # The fast plan: (name, column, convert) when every field reads one column.
        self._plan: tuple[tuple[str, str, Converter | None], ...] | None = None
        self._render_row: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
        if all(f.column is not None for f in fields):
            self._plan = tuple((f.name, str(f.column), f.convert) for f in fields)
            self._render_row = _compiled(self._plan)

    def _value(self, f: OutputField, row: Mapping[str, Any]) -> Any:
        if f.compute is not None:
            return f.compute(row)
        value = row[str(f.column)]
        return value if f.convert is None else f.convert(value)

    def render(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A ``values(*self.columns)`` row (or any mapping with those keys) as the API writes it."""
        if self._render_row is None:
            return {f.name: self._value(f, row) for f in self.fields}
        return self._render_row(row)

    def render_many(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        render_row = self._render_row
        if render_row is None:
            return [self.render(row) for row in rows]
        return list(map(render_row, rows))

    def render_instance(self, obj: Any) -> dict[str, Any]:
        """A model instance (or any object with the columns as attributes), same JSON as ``render``."""
        return self.render({column: _attribute(obj, column) for column in self.columns})

    def render_any(self, item: Any) -> dict[str, Any]:
        return self.render(item) if isinstance(item, Mapping) else self.render_instance(item)

    @cached_property
    def serializer(self) -> type[serializers.Serializer]:
        """A serializer class named ``self.name`` that documents (and renders) this output."""
        spec = self
        declared = {
            f.name: f.schema if f.column is None or f.name == f.column else _sourced(f.schema, f.column)
            for f in self.fields
            if f.schema is not None
        }
        for f in self.fields:
            assert f.schema is not None or f.name == f.column, f"{self.name}.{f.name}: a renamed field needs a schema"
            assert f.compute is None or f.schema is not None

        def to_representation(self: serializers.Serializer, instance: Any) -> dict[str, Any]:
            return spec.render_any(instance)

        meta = type("Meta", (), {"model": self.model, "fields": [f.name for f in self.fields], "read_only_fields": []})
        attrs: dict[str, Any] = {
            "Meta": meta,
            "__doc__": f"The {self.model._meta.verbose_name} as the API returns it.",
            "__module__": self.model.__module__,
            "to_representation": to_representation,
            **declared,
        }
        return type(self.name, (serializers.ModelSerializer,), attrs)

    def __repr__(self) -> str:
        return f"OutputSpec({self.name!r}, {len(self.fields)} fields)"
