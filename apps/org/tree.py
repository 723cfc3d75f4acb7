"""Materialised paths for small trees (regions, agencies).

Each node stores "/<root id>/.../<own id>/", so "is X inside Y" is a prefix test and a whole
subtree is one `path__startswith` query. The policy module relies on this to keep every
visibility rule a single set-based filter.
"""

from __future__ import annotations

from django.db import models, transaction


class TreeNode(models.Model):
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            new_path = self._expected_path()
            if new_path != self.path:
                old_path = self.path
                self.path = new_path
                type(self).objects.filter(pk=self.pk).update(path=new_path)
                if old_path:
                    self._move_descendants(old_path, new_path)

    def _expected_path(self) -> str:
        parent_path = self.parent.path if self.parent_id else "/"
        return f"{parent_path}{self.pk}/"

    def _move_descendants(self, old_path: str, new_path: str) -> None:
        for node in type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk):
            type(self).objects.filter(pk=node.pk).update(
                path=new_path + node.path[len(old_path):]
            )

    def ancestor_ids(self) -> list[int]:
        """Own id last, root first."""
        return [int(part) for part in self.path.strip("/").split("/") if part]
