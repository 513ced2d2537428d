"""What an import found and what it did: the import report and the per-series summary.

The GUI shows these sentences; the command line prints them. They never contain patient identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SkippedFile:
    """A file that was set aside, and why (plain sentence)."""

    path: str
    reason: str


@dataclass
class ImportReport:
    """Warnings and skipped files collected while scanning and loading."""

    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Add a warning once (duplicates are dropped)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def skip(self, path: str, reason: str) -> None:
        """Record a file that was not used."""
        self.skipped.append(SkippedFile(path, reason))

    def lines(self) -> list[str]:
        """All of it as sentences, warnings first, skipped files grouped by reason."""
        out = list(self.warnings)
        by_reason: dict[str, list[str]] = {}
        for s in self.skipped:
            by_reason.setdefault(s.reason, []).append(s.path)
        for reason, paths in by_reason.items():
            if len(paths) == 1:
                out.append(f"Skipped {paths[0]}: {reason}")
            else:
                out.append(f"Skipped {len(paths)} files ({paths[0]}, ...): {reason}")
        return out
