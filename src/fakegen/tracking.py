"""Track runs in Weights & Biases; results on disk never depend on it."""

from __future__ import annotations

import logging
import netrc
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fakegen.checks import check_keys
from fakegen.errors import ConfigError

log = logging.getLogger(__name__)

MODES = ("offline", "online", "disabled")
# Keys of the tracker group besides kind, in the order of conf/tracker/wandb.yaml.
TRACKER_OPTIONS = ("project", "mode", "dir", "group", "job_type", "tags")

# Host whose login ``wandb login`` stores in ~/.netrc unless WANDB_BASE_URL
# names another server.
DEFAULT_HOST = "api.wandb.ai"


def has_login() -> bool:
    """Tell whether W&B credentials exist on this machine, without any network call.

    W&B reads an API key from WANDB_API_KEY or from the netrc entry that
    ``wandb login`` writes for its host; this checks the same two places.
    """
    if os.environ.get("WANDB_API_KEY"):
        return True
    base_url = os.environ.get("WANDB_BASE_URL", f"https://{DEFAULT_HOST}")
    host = urlsplit(base_url).hostname or DEFAULT_HOST
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return False
    return bool(entry and entry[2])


def run_settings() -> dict[str, Any]:
    """Return W&B settings that keep a run's start short.

    System statistics, code and git capture add start-up work and files that
    fakegen runs do not need, since the resolved config and results.json
    describe the run.
    """
    return {
        "console": "off",
        "silent": True,
        "save_code": False,
        "disable_git": True,
        "disable_job_creation": True,
        "x_disable_stats": True,
        "x_disable_meta": True,
    }


class NullTracker:
    """A tracker that records nothing, for ``tracker=none``."""

    run_dir: Path | None = None

    def start(self, *, config: dict[str, Any], name: str, run_dir: Path) -> None:
        pass

    def log(self, metrics: Mapping[str, float]) -> None:
        pass

    def summarize(self, summary: Mapping[str, Any]) -> None:
        pass

    def log_figures(self, figures: Mapping[str, Path]) -> None:
        pass

    def log_table(self, key: str, rows: list[Mapping[str, Any]]) -> None:
        pass

    def finish(self, *, failed: bool = False) -> None:
        pass


class WandbTracker(NullTracker):
    """One W&B run per experiment; every W&B failure costs a warning only.

    Parameters
    ----------
    project : str
        W&B project name.
    mode : {"offline", "online", "disabled"}
        ``offline`` writes the run to disk for a later ``wandb sync``;
        ``online`` without a login on this machine falls back to offline.
    dir : str or None
        Parent folder of the ``wandb`` folder; None uses WANDB_DIR if set,
        else the run directory.
    group, job_type : str or None
        W&B grouping of runs; the ``fakegen`` command fills both in a sweep
        when they are null, so runs of one sweep share them.
    tags : list of str
        Tags shown in the W&B interface.
    """

    def __init__(
        self, *, project, mode="offline", dir=None, group=None, job_type=None, tags=()
    ):
        if mode not in MODES:
            raise ConfigError(
                f"tracker.mode is {mode!r}; use one of {', '.join(MODES)}."
            )
        self.project = project
        self.mode = mode
        self.dir = dir
        self.group = group
        self.job_type = job_type
        self.tags = list(tags or ())
        self.run = None
        self.run_dir = None

    def start(self, *, config: dict[str, Any], name: str, run_dir: Path) -> None:
        mode = self.mode
        if mode == "online" and not has_login():
            log.warning(
                "tracker.mode is 'online' but no W&B login was found "
                "(WANDB_API_KEY or `wandb login`), so this run is tracked offline; "
                "sync it later with `wandb sync`."
            )
            mode = "offline"
        directory = self._writable_directory(run_dir)
        if directory is None:
            return
        try:
            import wandb

            # W&B 0.31 reads the mode of its process-wide settings, not the
            # run's, to decide whether to post usage telemetry to its server,
            # so an offline run needs the mode there too.
            wandb.setup(settings=wandb.Settings(mode=mode))
            self.run = wandb.init(
                project=self.project,
                mode=mode,
                dir=str(directory),
                name=name,
                group=self.group,
                job_type=self.job_type,
                tags=self.tags,
                config=config,
                reinit="finish_previous",
                settings=wandb.Settings(**run_settings()),
            )
            self.run_dir = Path(self.run.dir).parent
            log.info("Tracking mode=%s wandb_dir=%s", mode, self.run_dir)
        except Exception as exc:  # noqa: BLE001 - any W&B failure must not stop the run
            log.warning("W&B could not start, so this run is not tracked: %s", exc)
            self.run = None

    def _writable_directory(self, run_dir: Path) -> Path | None:
        """Return the folder W&B writes into, or None after a warning.

        W&B falls back to a shared temporary folder when the chosen one
        takes no file, so the folder is checked here, where the warning can
        name the setting that chose it.
        """
        if self.dir:
            key, directory = "tracker.dir", Path(self.dir)
        elif os.environ.get("WANDB_DIR"):
            key, directory = "WANDB_DIR", Path(os.environ["WANDB_DIR"])
        else:
            key, directory = "hydra.run.dir", Path(run_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as exc:
            log.warning(
                "%s is %r, which cannot be created or written (%s), so this run "
                "is not tracked. Set %s to a folder you can write to.",
                key,
                str(directory),
                exc.strerror or exc,
                "tracker.dir" if key == "hydra.run.dir" else key,
            )
            return None
        return directory

    def log(self, metrics: Mapping[str, float]) -> None:
        self._call("log", dict(metrics))

    def log_figures(self, figures: Mapping[str, Path]) -> None:
        """Log each PNG file under ``figures/<name>`` as a W&B image."""
        if self.run is None or not figures:
            return
        try:
            import wandb

            images = {f"figures/{k}": wandb.Image(str(v)) for k, v in figures.items()}
            self.run.log(images)
        except Exception as exc:  # noqa: BLE001
            log.warning("W&B could not log the figures: %s", exc)

    def summarize(self, summary: Mapping[str, Any]) -> None:
        if self.run is None:
            return
        try:
            self.run.summary.update(dict(summary))
        except Exception as exc:  # noqa: BLE001
            log.warning("W&B could not store the summary: %s", exc)

    def log_table(self, key: str, rows: list[Mapping[str, Any]]) -> None:
        """Log ``rows`` (dicts with the same keys) as a W&B table under ``key``."""
        if self.run is None or not rows:
            return
        try:
            import wandb

            columns = list(dict.fromkeys(key for row in rows for key in row))
            data = [[row.get(column) for column in columns] for row in rows]
            table = wandb.Table(columns=columns, data=data, allow_mixed_types=True)
            self.run.log({key: table})
        except Exception as exc:  # noqa: BLE001
            log.warning("W&B could not log the table %s: %s", key, exc)

    def finish(self, *, failed: bool = False) -> None:
        if self.run is None:
            return
        try:
            self.run.finish(exit_code=1 if failed else 0)
        except Exception as exc:  # noqa: BLE001
            log.warning("W&B could not close the run: %s", exc)
        self.run = None

    def _call(self, method: str, *args: Any) -> None:
        if self.run is None:
            return
        try:
            getattr(self.run, method)(*args)
        except Exception as exc:  # noqa: BLE001
            log.warning("W&B %s failed: %s", method, exc)


def make_tracker(cfg: Mapping[str, Any]) -> NullTracker:
    """Build the tracker that ``cfg`` (the ``tracker`` group) selects."""
    kind = cfg.get("kind", "none")
    options = {k: v for k, v in cfg.items() if k != "kind"}
    # Checked for tracker=none too, so a typo fails before the run, not
    # later, when the user switches the tracker on.
    check_keys(cfg, ("kind", *TRACKER_OPTIONS), key="tracker")
    if kind == "none":
        return NullTracker()
    if kind != "wandb":
        raise ConfigError(f"tracker.kind is {kind!r}; use wandb or none.")
    project = options.get("project")
    if project is not None and (not isinstance(project, str) or not project.strip()):
        raise ConfigError(
            f"tracker.project is {project!r}; give a W&B project name, such as fakegen."
        )
    return WandbTracker(**options)
