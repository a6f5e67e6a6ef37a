"""Command-line interface: `python -m ecom_models <command> ... --json`.

Each command lives in its own module, which provides two functions:

    add_arguments(parser: argparse.ArgumentParser) -> None
    run(args: argparse.Namespace) -> dict   # JSON-serialisable document

Modules are imported only when their command runs, so `ingest` never loads TensorFlow.
Bad input raises `InputError`: printed on stderr, exit status 2, never a traceback.
The JSON documents are a public interface: each command's keys are documented in docs/<capability>.md
(docs/risk.md for `anomalies`, docs/reviews.md for `sentiment`, docs/intake.md for `ingest` and
`workspace`), and tests/test_golden_cli.py holds what each command prints; change neither lightly.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ecom_models.core.errors import InputError
from ecom_models.core.jsonio import dumps

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ecom_models.intake.cli", "read an export, map its columns and report data quality"),
    "abtest": ("ecom_models.abtest.cli", "analyse an A/B test file"),
    "forecast": ("ecom_models.forecast.cli", "forecast revenue, orders or units, with what-if scenarios"),
    "recommend": ("ecom_models.recommend.cli", "recommend products for every customer"),
    "sentiment": ("ecom_models.reviews.cli", "score review sentiment and aspects"),
    "images": ("ecom_models.images.cli", "classify product photos, find duplicates and quality problems"),
    "anomalies": ("ecom_models.risk.cli", "score orders or days for risk"),
    "customers": ("ecom_models.customers.cli", "predict what each customer will buy, who is lapsing, whom to win back"),
    "value": ("ecom_models.value.cli", "add up the business value of every model"),
    "support": ("ecom_models.support.cli", "find what customers ask, match tickets with your FAQ, value the deflection"),
    "workspace": ("ecom_models.workspace.cli", "list, export or import workspaces (for scripts and schedulers)"),
}


# commands whose output names customers: by default with the file's own ids, as read
HIDEABLE = ("recommend", "anomalies", "customers")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ecom_models", description="Ecom Value Lab batch interface.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # a capability not built yet is simply not offered
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        if name in HIDEABLE:
            command_parser.add_argument(
                "--hide-identities", action="store_true",
                help="show customers as pseudonyms (the workspace's, as on its pages) instead of the file's own ids")
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        document = args._module.run(args)
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: the file is too large for this machine's memory. How to fix: split it by date and run each part.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: still no traceback for the user, but say where to look
        print(f"error: unexpected problem ({type(exc).__name__}: {exc}). Run with ECOM_DEBUG=1 for details.", file=sys.stderr)
        import os

        if os.environ.get("ECOM_DEBUG"):
            raise
        return 1
    if getattr(args, "hide_identities", False):
        document = _hidden(document)
    if getattr(args, "json", False):
        sys.stdout.write(dumps(document) + "\n")
    else:
        _print_human(document)
    return 0


def _hidden(document: dict) -> dict:
    """Customer ids as pseudonyms: with the default workspace's salt when it exists (the same
    pseudonyms as on its pages), else a salt drawn for this run."""
    from ecom_models.intake.pii import new_salt, pseudonymise_document
    from ecom_models.workspace.workspace import (
        Workspace,
        default_workspace_name,
        list_workspaces,
    )

    salt = None
    if default_workspace_name() in list_workspaces():
        salt = Workspace(default_workspace_name()).get("privacy", "salt")
    return pseudonymise_document(document, salt or new_salt())


def _print_human(document: dict) -> None:
    for key, value in document.items():
        if isinstance(value, (list, dict)) and len(str(value)) > 200:
            print(f"{key}: ({len(value)} entries; use --json for all)")
        else:
            print(f"{key}: {value}")
