"""A choice of one model row among a query's rows, read once per form.

Django's ModelChoiceField asks the database again for each use: `queryset.get()` to validate
the choice, then a new server-side cursor (DECLARE … WITH HOLD, FETCH, CLOSE) to render the
options. When the query is an access policy's (operations a person may see: a subquery of
the facilities they see), each of those is compiled in Python and planned by PostgreSQL anew,
~10 ms apiece: the daily report's page spent more on its form than on some of its tables.
`ReadOnceChoiceField` reads the rows once, on first use, and validates and renders from them.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


class _ReadRows(ModelChoiceIterator):
    """The options from the field's queryset's own rows (read on the first use, kept)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # the queryset's result cache once read
            yield self.choice(obj)


class ReadOnceChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField for a short list (a select's options): the rows are read once and
    both the options and the validation of the choice come from them."""

    iterator = _ReadRows

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, key)
        for obj in self.queryset:
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                              params={"value": value})
