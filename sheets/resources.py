"""django-import-export building blocks for model-shaped sheets (one record per row).

A ``SheetResource`` finds existing rows by a natural key through a dict loaded once per import
(``NaturalKeyLoader``: no query per row), speaks Thai (widgets raise ``ValueError`` in Thai),
records django-simple-history's user and reason, and lists a row's changes as
"column: before → after" (``ChangeDiff``). ``run_resource`` imports a table's rows through one
inside the caller's transaction and adds every row's status and problems to a ``Preview``.
"""

from __future__ import annotations

from decimal import Decimal

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from import_export import resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from ita_portal.edits import version_bump
from ita_portal.thai import format_be_date

from .cells import clean_be_date, clean_decimal, clean_int, clean_text, is_blank, short_text
from .columns import fold
from .preview import CHANGED, ERROR, NEW, UNCHANGED, Preview, PreviewRow, Problem

# ---------------------------------------------------------------------------------------------
# Widgets: a cell ↔ a value, with Thai messages


class ThaiWidget(widgets.Widget):
    """Cleans a cell or raises ValueError in Thai; renders native values for the xlsx writer."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def render(self, value, obj=None, **kwargs):
        return None if value in (None, "") else value


class TextWidget(ThaiWidget):
    def __init__(self, max_length: int | None = None):
        super().__init__()
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        return clean_text(value, max_length=self.max_length)


class DecimalWidget(ThaiWidget):
    def __init__(self, *, places=2, minimum=Decimal("0"), maximum=None):
        super().__init__()
        self.places, self.minimum, self.maximum = places, minimum, maximum

    def clean(self, value, row=None, **kwargs):
        return clean_decimal(value, places=self.places, minimum=self.minimum, maximum=self.maximum)


class IntWidget(ThaiWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_int(value)


class BEDateWidget(ThaiWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_be_date(value)

    def render(self, value, obj=None, **kwargs):
        return format_be_date(value) or None


class ChoiceWidget(ThaiWidget):
    """A Thai label in the sheet ↔ a stored value; a few other spellings accepted."""

    def __init__(self, choices, *, aliases: dict[str, str] | None = None, blank: str | None = ""):
        super().__init__()
        self.labels = {value: label for value, label in choices}
        self.lookup = {fold(label): value for value, label in choices}
        self.lookup |= {fold(value): value for value, _ in choices}
        self.lookup |= {fold(k): v for k, v in (aliases or {}).items()}
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            if self.blank is None:
                raise ValueError("กรุณาเลือกค่าจากรายการ")
            return self.blank
        found = self.lookup.get(fold(clean_text(value)))
        if found is None:
            raise ValueError(f"ไม่รู้จัก “{clean_text(value)}” (ใช้ได้: {' / '.join(self.labels.values())})")
        return found

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value) or None


# ---------------------------------------------------------------------------------------------
# Resources

ROW_NUMBER = "__row"  # a hidden dataset column: the row's number in the sheet


class NaturalKeyLoader(BaseInstanceLoader):
    """Finds the existing row by its natural key in a dict loaded once per import (no query per row),
    and refuses a key that an earlier row of the same sheet already used."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        self.existing = resource.existing_by_key()
        self.seen: dict = {}

    def get_instance(self, row):
        key = self.resource.natural_key(row)
        first = self.seen.setdefault(key, row.get(ROW_NUMBER))
        if first != row.get(ROW_NUMBER):
            column = self.resource.fields[self.resource.get_import_id_fields()[0]].column_name
            raise ValidationError({column: f"ข้อมูลซ้ำกับแถว {first} (คอลัมน์หลักมีค่าเดียวกัน) กรุณาลบหรือแก้แถวใดแถวหนึ่ง"})
        return self.existing.get(key)


class LeanRowResult(RowResult):
    """A row result without the instance's repr (str() of some models would query per row)."""

    def __init__(self):
        super().__init__()
        self.changes: tuple[str, ...] = ()
        self.key_label = ""

    def add_instance_info(self, instance):
        if instance is not None:
            self.object_id = getattr(instance, "pk", None)


class _Objects:
    """A list standing in for a related manager, for a many-to-many widget's render()."""

    def __init__(self, objs):
        self.objs = objs

    def all(self):
        return self.objs


def _m2m_text(widget, objs) -> str | None:
    """A many-to-many cell as the diff shows it, the items sorted by their own text: the same for
    the rows a real import stored and for the cleaned cells a preview keeps in memory."""
    objs = sorted(objs, key=lambda o: str(widget.render(_Objects([o])) or ""))
    return widget.render(_Objects(objs))


class ChangeDiff(resources.Diff):
    """The columns a row changes, as "column: before → after" (import-export's Diff, not as HTML).

    A many-to-many column's new value is the cleaned cell (``SheetResource.import_instance``), not
    the stored relation: a preview writes nothing and still lists the same change."""

    def __init__(self, resource, instance, new):
        self.resource_fields = resource.get_import_fields()
        self.left = self._values(instance)
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        self.right = self._values(instance)

    def _values(self, instance) -> list:
        if instance is None:
            return [""] * len(self.resource_fields)
        cleaned = getattr(instance, "_m2m_cleaned", {})
        out = []
        for f in self.resource_fields:
            if not isinstance(f.widget, widgets.ManyToManyWidget):
                out.append(f.export(instance))
                continue
            objs = cleaned.get(f.attribute)
            if objs is None:
                manager = f.get_value(instance)
                objs = list(manager.all()) if manager is not None else []
            out.append(_m2m_text(f.widget, objs))
        return out

    def as_html(self):
        if self.new:
            return []
        out = []
        for f, before, after in zip(self.resource_fields, self.left, self.right):
            if f.attribute and before != after:
                out.append(f"{f.column_name}: {short_text(before)} → {short_text(after)}")
        return out


class SheetResource(resources.ModelResource):
    """Base of the portal's import Resources: natural keys, Thai messages, history, listed changes.

    Subclasses give ``existing_by_key()`` (natural key → instance, loaded once), ``natural_key(row)``
    (raising ``key_error({header: message})`` when the key cannot be read), ``row_label(row)`` and
    ``check(instance, errors)`` for rules across fields. The headers are checked before the
    import, in Thai (``sheets.columns.match_columns``).
    """

    class Meta:
        instance_loader_class = NaturalKeyLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False

    def __init__(self, *, user=None, reason: str = "", preview_only: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.user = user if getattr(user, "pk", None) else None
        self.reason = reason
        # A preview writes nothing (no transaction either: on SQLite one would take the write lock);
        # a new row is kept in memory for the sheets after it (unsaved_add).
        self.preview_only = preview_only

    @classmethod
    def get_row_result_class(cls):
        return LeanRowResult

    @classmethod
    def get_diff_class(cls):
        return ChangeDiff

    # Natural keys --------------------------------------------------------------------------

    def existing_by_key(self) -> dict:
        raise NotImplementedError

    def natural_key(self, row):
        raise NotImplementedError

    def row_label(self, row) -> str:
        return ""

    def column_of(self, key: str) -> str:
        """The header a validation error's key names (a field name, or a header already)."""
        if key in self.fields:
            return self.fields[key].column_name
        return "" if key == NON_FIELD_ERRORS else key

    def key_error(self, errors: dict) -> ValidationError:
        """The error natural_key() raises: {header: Thai message}."""
        return ValidationError(errors)

    # Every problem of a row at once ----------------------------------------------------------

    def before_import_row(self, row, **kwargs):
        """A row whose key cannot be resolved is refused before its cells are read: read them here
        anyway, so that the person fixing the file sees every problem of the row at once."""
        try:
            self.natural_key(row)
        except ValidationError as e:
            errors = e.update_error_dict({})
            for name, field in self.fields.items():
                if not field.attribute or field.column_name not in row or field.column_name in errors:
                    continue
                try:
                    field.clean(row)
                except ValueError as value_error:
                    errors[name] = [ValidationError(str(value_error))]
            raise ValidationError(errors) from None

    def import_instance(self, instance, row, **kwargs):
        """import-export cleans many-to-many cells only when saving them; clean them here too so
        that an unknown name is a validation error of its column, like any other cell."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        instance._m2m_cleaned = {}
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    instance._m2m_cleaned[field.attribute] = list(field.clean(row))
                except ValueError as e:
                    errors[field.attribute] = [ValidationError(str(e))]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        self.check(instance, errors)
        if errors:
            raise ValidationError(errors)

    def check(self, instance, errors: dict) -> None:
        """Rules across fields of one row; add {field: Thai message} to errors."""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A preview's new rows have no id: a relation to one is a change (import-export sorts ids).
        if not import_validation_errors:
            for objs in getattr(instance, "_m2m_cleaned", {}).values():
                if any(o.pk is None for o in objs):
                    return False
        return super().skip_row(instance, original, row, import_validation_errors)

    # Writing, or (a preview) not ------------------------------------------------------------

    def do_instance_save(self, instance, is_create):
        if self.preview_only:
            if is_create:
                self.unsaved_add(instance)
            return
        super().do_instance_save(instance, is_create)

    def unsaved_add(self, instance) -> None:
        """A preview's new row, kept in memory so that the sheets after this one can refer to it."""

    def save_m2m(self, instance, row, **kwargs):
        if not self.preview_only:
            super().save_m2m(instance, row, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        if not self.preview_only:  # (resets PostgreSQL's sequences after new rows)
            super().after_import(dataset, result, **kwargs)

    # History -------------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        version_bump(instance)  # forms opened before the import see a conflict
        instance._history_user = self.user
        instance._change_reason = self.reason

    # The preview ---------------------------------------------------------------------------

    def after_import_row(self, row, row_result, **kwargs):
        try:
            row_result.key_label = self.row_label(row)
        except (ValueError, KeyError, AttributeError):
            row_result.key_label = ""
        if isinstance(row_result.diff, list):
            row_result.changes = tuple(row_result.diff)
            row_result.diff = None


def run_resource(
    resource: SheetResource,
    *,
    sheet: str,
    headers: list[str],
    rows: list[tuple[int, list]],
    preview: Preview,
    letters: dict[str, str] | None = None,
) -> None:
    """Import rows through a Resource and add them to the preview.

    A real import writes the rows inside the caller's single transaction (``sheets.preview.finish``
    keeps or rolls back everything). A preview (``resource.preview_only``) runs the same steps
    without any write and without a transaction; the rows it would create are kept in memory
    (``unsaved_add``) so that each sheet of a file sees the rows of the sheets before it.
    (import-export's own dry_run always opens a transaction, so it is not used.)
    """
    if not rows:
        return
    dataset = tablib.Dataset(headers=[*headers, ROW_NUMBER])
    for number, values in rows:
        dataset.append([*values, number])
    result = resource.import_data(
        dataset,
        dry_run=False,
        use_transactions=not resource.preview_only,
        rollback_on_validation_errors=False,
        raise_errors=False,
        collect_failed_rows=False,
    )
    letters = letters or {}
    for error in result.base_errors:
        preview.add_problem(Problem(f"บันทึกข้อมูลไม่สำเร็จ: {error.error}", sheet=sheet))
    for (number, values), rr in zip(rows, result.rows):
        problems = []
        if rr.validation_error is not None:
            ve = rr.validation_error
            items = ve.error_dict.items() if hasattr(ve, "error_dict") else [(NON_FIELD_ERRORS, ve.error_list)]
            for key, errors in items:
                column = resource.column_of(key)
                for err in errors:
                    for message in err.messages if hasattr(err, "messages") else [str(err)]:
                        problems.append(
                            Problem(message, sheet=sheet, row=number, column=column, letter=letters.get(column, ""))
                        )
        for err in rr.errors:
            problems.append(Problem(f"บันทึกแถวนี้ไม่สำเร็จ: {_row_error(err.error)}", sheet=sheet, row=number))
        if problems:
            status = ERROR
        elif rr.import_type == RowResult.IMPORT_TYPE_NEW:
            status = NEW
        elif rr.import_type in (RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_DELETE):
            status = CHANGED
        else:
            status = UNCHANGED
        key = getattr(rr, "key_label", "")
        if not key:  # rows refused before after_import_row: label them from their cells
            try:
                key = resource.row_label(dict(zip(headers, values)))
            except (ValueError, KeyError, AttributeError, TypeError):
                key = ""
        preview.add_row(
            PreviewRow(
                sheet=sheet,
                row=number,
                key=key,
                status=status,
                changes=tuple(getattr(rr, "changes", ()) or ()),
                problems=problems,
            )
        )


def _row_error(error) -> str:
    """A row the database refused, in Thai (its own message is English)."""
    if isinstance(error, IntegrityError):
        return "ซ้ำกับรายการที่มีอยู่แล้ว (เช่น ลำดับซ้ำกับอีกรายการในกลุ่มเดียวกัน) กรุณาตรวจสอบลำดับแล้วนำเข้าใหม่"
    return str(error)
