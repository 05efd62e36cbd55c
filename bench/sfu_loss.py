"""Loss on a publisher's uplink, in one process: the media server (MediaServer, as in tests/media) and aiortc
sites on one loop, a quiet 320×240 VP8 picture (one RTP packet per frame, the case of issue 19) from one
publisher to a few subscribers, loss made by tests/media/lossy_link.py inside the publisher's peer.

    .venv/bin/python bench/sfu_loss.py [--rates 0,1,3,5] [--seconds 15] [--subscribers 4]
        [--baseline /tmp/base]   # also run another checkout's media/ (git archive <commit> | tar -x -C /tmp/base)

Scenarios: ``late``: one video packet dropped and every retransmission of it delayed 0.4 s; ``never``: one
dropped and its retransmissions too; ``random N``: N % of the publisher's RTP lost at random (seeded, the
same packets for every variant). Per scenario, over the subscribers: frames received, the longest gap
between two frames, capture→receipt p50 / p95; for ``late``, p50 from 1 s to 2 s after the repair; for
``never``, how long after the loss the first frame captured after it was received (the picture is back).
Without network and in one process, this shows the reassembly alone; bench/sfu.py runs the servers apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


async def scenario(name: str, rate: float, seconds: float, subscribers: int) -> dict:
    from lossy_link import LossyLink, retransmission_of, video
    from sfu_clients import Site, clip, info, join, wait_for

    from media.room import MediaSettings
    from media.server import MediaServer

    server = MediaServer(MediaSettings(max_videos=1, max_audio=0))
    publisher = await join(server, Site("p", slots=0, stamp=True, clip_source=clip("VP8", 60, 320, 240, 100_000)),
                           info(site=1))
    subs = [await join(server, Site(f"s{n}", video=False), info(site=10 + n)) for n in range(subscribers)]
    assert await wait_for(lambda: all(s.total() > 10 for s in subs), 15)
    link = LossyLink(publisher.pc)
    started, first = time.time(), publisher.video.index
    result: dict = {"scenario": name}
    if name == "late":
        lost = link.uplink.drop(video, times=1)
        late = link.uplink.delay(retransmission_of(lost), 0.4)
    elif name == "never":
        lost = link.uplink.drop(video, times=1)
        link.uplink.drop(retransmission_of(lost))
    else:
        link.uplink.loss(rate / 100, seed=1)
    await asyncio.sleep(seconds)
    stamps = [[x for r in s.received.values() for x in r.stamped if x.captured > started] for s in subs]
    gaps = [b.received - a.received for st in stamps for a, b in zip(st, st[1:], strict=False)]
    delays = sorted(x.delay for st in stamps for x in st)
    result.update(frames=min(len(st) for st in stamps), sent=publisher.video.index - first,
                  longest_gap=max(gaps, default=None), dropped=link.uplink.dropped,
                  p50=statistics.median(delays) if delays else None,
                  p95=delays[int(0.95 * (len(delays) - 1))] if delays else None)
    if name == "late" and late.delivered_at:
        repaired = late.delivered_at[0]
        after = [x.delay for st in stamps for x in st if repaired + 1 <= x.captured <= repaired + 2]
        result["after_repair_p50"] = statistics.median(after) if after else None
    if name == "never" and lost.at:
        back = [next((x for x in st if x.captured > lost.at[0]), None) for st in stamps]
        result["back_after"] = max(x.received - lost.at[0] for x in back) if all(back) else None
    for site in (publisher, *subs):
        await site.close()
    await server.shutdown()
    return result


def child(root: str, name: str, rate: float, seconds: float, subscribers: int) -> dict:
    code = (f"import sys, os, asyncio, json; sys.path[:0] = [{root!r}, {root + '/tests/media'!r}, {str(REPO / 'bench')!r}];"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); import django; django.setup();"
            "import sfu_loss; print(json.dumps(asyncio.run(sfu_loss.scenario("
            f"{name!r}, {rate}, {seconds}, {subscribers}))))")
    env = dict(os.environ, DJANGO_ALLOW_ASYNC_UNSAFE="true")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=300)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(lines[-1])


def ms(x: float | None) -> str:
    return "–" if x is None else f"{1000 * x:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="0,1,3,5")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--baseline", help="another checkout whose media/ to run with the same clients")
    args = parser.parse_args()
    variants = [("this", str(REPO))] + ([("baseline", args.baseline)] if args.baseline else [])
    runs = [("late", 0.0), ("never", 0.0)] + [("random", float(r)) for r in args.rates.split(",")]
    print(f"Run {time.strftime('%Y-%m-%d %H:%M %z')}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print("| code | scenario | frames received (worst subscriber) of sent | longest gap ms | capture→receipt p50 / p95 ms "
          "| after the repair p50 ms | picture back after ms |\n| --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for name, rate in runs:
        for label, root in variants:  # back to back, so both see the same machine
            r = child(root, name, rate, args.seconds, args.subscribers)
            title = f"random {rate:g} %" if name == "random" else name
            print(f"| {label} | {title} | {r['frames']} of {r['sent']} | {ms(r['longest_gap'])} | "
                  f"{ms(r['p50'])} / {ms(r['p95'])} | {ms(r.get('after_repair_p50'))} | "
                  f"{'not back' if name == 'never' and r.get('back_after') is None else ms(r.get('back_after'))} |",
                  flush=True)


if __name__ == "__main__":
    main()
