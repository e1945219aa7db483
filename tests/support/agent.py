"""Run the real OpenBao Agent (`bao agent`) against a server, with a config the test writes."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.openbao import bao_binary


@dataclass
class Agent:
    """A running `bao agent`: its process and log file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """What the agent printed (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self) -> bool:
        """True while the agent has not exited."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the agent (SIGTERM, then SIGKILL), and the child it runs in exec mode."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_agent(config: str, folder: Path) -> Agent:
    """Write `config` to FOLDER/agent.hcl and start `bao agent` with it."""
    path = folder / "agent.hcl"
    path.write_text(config)
    log_path = folder / "agent.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [bao_binary(), "agent", f"-config={path}", "-log-level=debug"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return Agent(process, log_path)


def approle_auto_auth(mount: str, folder: Path, wrapping_path: str = "") -> str:
    """An `auto_auth` block: AppRole from FOLDER/role-id and FOLDER/secret-id, a file sink."""
    wrapped = (
        f'\n      secret_id_response_wrapping_path = "{wrapping_path}"' if wrapping_path else ""
    )
    return f"""
auto_auth {{
  method "approle" {{
    mount_path = "auth/{mount}"
    config = {{
      role_id_file_path = "{folder / "role-id"}"
      secret_id_file_path = "{folder / "secret-id"}"
      remove_secret_id_file_after_reading = false{wrapped}
    }}
  }}
  sink "file" {{
    config = {{
      path = "{folder / "token"}"
    }}
  }}
}}
"""
