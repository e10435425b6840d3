"""Write helpers shared by every app's services (HackSoft's ``common/services.py``)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Model


def model_update(
    *,
    instance: Model,
    data: Mapping[str, Any],
    fields: Iterable[str] | None = None,
    extra: Mapping[str, Any] | None = None,
    save: bool = True,
    clean: bool = True,
) -> list[str]:
    """Set the fields of ``data`` whose value differs and return their names (sorted); ``[]`` changes nothing.

    ``fields`` limits which keys may be set (default: all of ``data``). When
    something changed, ``extra`` (e.g. ``updated_by``) is set too and, with
    ``save``, the instance is validated (``full_clean``) and saved with
    ``update_fields`` (plus ``updated_at`` where the model has it); ``clean=False``
    skips ``full_clean`` where the input was validated already. Callers
    that must check more before saving pass ``save=False`` and save themselves.
    """
    allowed = set(data) if fields is None else set(fields)
    unknown = sorted(set(data) - allowed)
    assert not unknown, f"model_update: not updatable here: {unknown}"
    changed = sorted(name for name, value in data.items() if getattr(instance, name) != value)
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, data[name])
    for name, value in (extra or {}).items():
        setattr(instance, name, value)
    if save:
        if clean:
            instance.full_clean()
        update_fields = [*changed, *(extra or {})]
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    return changed
