"""Janus's configuration files, written from our settings, and a Janus started with them (tests, development).

Production runs Debian's ``janus`` service with files an operator keeps in /etc/janus; docs/operations.md
("Janus") says what they must contain, and ``python -m media.janus.config --folder DIR`` writes a starting
set from the environment. What the files here always do:

- only the VideoRoom plugin and the HTTP transport are loaded (every other plugin, transport, event
  handler and logger is disabled: less to attack, less to configure);
- the HTTP API listens on one address (``bind``: a private address, 127.0.0.1 by default) and needs the API
  secret; the admin API is off (no admin transport, no admin secret);
- RTP/RTCP use a fixed UDP range (``rtp_ports``) that a firewall opens to the sites;
- ICE gathers only on the listed interfaces or addresses (``ice_interfaces``), no STUN server unless one
  is given, no IPv6, and an optional 1:1 NAT address for a server behind NAT;
- a talker is announced after 0.3 s of speech (our speaker), and packet loss over 4 packets a second is
  reported as a slow link (our quality figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

LIB = "/usr/lib/x86_64-linux-gnu/janus"
OTHER_PLUGINS = ("audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip", "streaming", "textroom",
                 "videocall", "voicemail")
OTHER_TRANSPORTS = ("websockets", "pfunix", "mqtt", "rabbitmq", "nanomsg")


@dataclass
class JanusConfig:
    api_secret: str
    port: int = 8088
    bind: str = "127.0.0.1"  # the HTTP API's address: a private one, never the sites' network
    rtp_ports: str = "20000-40000"
    ice_interfaces: list[str] = field(default_factory=list)  # e.g. ["eth1"] or ["10.0.0.5"]; empty: all
    nat_1_1: str = ""  # the public address of a Janus behind 1:1 NAT
    stun: str = ""  # host:port; none by default (closed networks)
    lib: str = LIB
    debug_level: int = 3

    def _q(self, value: str) -> str:
        return json.dumps(value)  # jcfg strings are double-quoted with JSON's escapes

    def files(self, folder: Path) -> dict[str, str]:
        nat = ["ice_ipv6 = false", "nice_debug = false", "full_trickle = false"]
        if self.ice_interfaces:
            nat.append(f"ice_enforce_list = {self._q(','.join(self.ice_interfaces))}")
        if self.nat_1_1:
            nat.append(f"nat_1_1_mapping = {self._q(self.nat_1_1)}")
        if self.stun:
            host, _, port = self.stun.rpartition(":")
            nat += [f"stun_server = {self._q(host)}", f"stun_port = {int(port)}"]
        disabled_plugins = ",".join(f"libjanus_{name}.so" for name in OTHER_PLUGINS)
        disabled_transports = ",".join(f"libjanus_{name}.so" for name in OTHER_TRANSPORTS)
        core = f"""general: {{
  configs_folder = {self._q(str(folder))}
  plugins_folder = {self._q(self.lib + "/plugins")}
  transports_folder = {self._q(self.lib + "/transports")}
  events_folder = {self._q(self.lib + "/events")}
  loggers_folder = {self._q(self.lib + "/loggers")}
  debug_level = {self.debug_level}
  api_secret = {self._q(self.api_secret)}
  token_auth = false
  session_timeout = 60
  server_name = "phonghop-janus"
}}
media: {{
  rtp_port_range = {self._q(self.rtp_ports)}
  slowlink_threshold = 4
  no_media_timer = 2
}}
nat: {{
  {chr(10).join("  " + line for line in nat).strip()}
}}
plugins: {{ disable = {self._q(disabled_plugins)} }}
transports: {{ disable = {self._q(disabled_transports)} }}
events: {{ broadcast = false }}
loggers: {{ disable = "libjanus_jsonlog.so" }}
"""
        http = f"""general: {{
  json = "compact"
  base_path = "/janus"
  http = true
  port = {int(self.port)}
  ip = {self._q(self.bind)}
  https = false
}}
admin: {{
  admin_http = false
  admin_https = false
}}
cors: {{ }}
"""
        # No rooms here: the server creates one per briefing (media/janus/backend.py), so a Debian default
        # such as the demo room 1234 does not exist.
        videoroom = "general: {\n  string_ids = false\n}\n"
        return {"janus.jcfg": core, "janus.transport.http.jcfg": http, "janus.plugin.videoroom.jcfg": videoroom}

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in self.files(folder).items():
            path = folder / name
            path.write_text(text)
            path.chmod(0o600)  # it holds the API secret
        return folder / "janus.jcfg"


def janus_binary() -> str | None:
    return shutil.which("janus") or ("/usr/bin/janus" if os.access("/usr/bin/janus", os.X_OK) else None)


class JanusProcess:
    """A Janus started on a folder of its own (tests and development; production runs the Debian service)."""

    def __init__(self, config: JanusConfig, folder: Path) -> None:
        self.config, self.folder = config, folder
        self.process: subprocess.Popen | None = None
        self.log_path = folder / "janus.log"

    @property
    def url(self) -> str:
        return f"http://{self.config.bind}:{self.config.port}/janus"

    def start(self, timeout: float = 30) -> JanusProcess:
        binary = janus_binary()
        if binary is None:
            raise RuntimeError("janus is not installed (apt-get install janus)")
        conf = self.config.write(self.folder)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open as long as the process runs
        self.process = subprocess.Popen([binary, "-F", str(self.folder), "-C", str(conf)], stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited with {self.process.returncode}: {self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.url}/info", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"janus did not answer on {self.url} within {timeout:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write Janus configuration files for Phòng họp số.")
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--bind", default="127.0.0.1", help="the HTTP API's (private) address")
    parser.add_argument("--rtp-ports", default="20000-40000")
    parser.add_argument("--ice", default="", help="interfaces or addresses ICE may use, comma-separated")
    parser.add_argument("--nat-1-1", default="")
    parser.add_argument("--run", action="store_true", help="start janus on the folder (development)")
    args = parser.parse_args(argv)
    secret = os.environ.get("PHONGHOP_JANUS_API_SECRET", "")
    if not secret:
        sys.exit("set PHONGHOP_JANUS_API_SECRET (the same value the web processes get)")
    config = JanusConfig(api_secret=secret, port=args.port, bind=args.bind, rtp_ports=args.rtp_ports,
                         ice_interfaces=[x for x in args.ice.split(",") if x], nat_1_1=args.nat_1_1)
    conf = config.write(args.folder)
    print(f"wrote {conf} and the HTTP transport and VideoRoom files beside it")
    if args.run:
        binary = janus_binary() or sys.exit("janus is not installed (apt-get install janus)")
        os.execv(binary, [binary, "-F", str(args.folder), "-C", str(conf)])


if __name__ == "__main__":
    main()
