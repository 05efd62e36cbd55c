"""The vote's socket commands (docs/protocol.md, "Commands"): thin wrappers over the services, run by
``meetings.services.live.execute`` in one transaction, idempotent by command id.

``vote.cast`` does not lock the meeting row for update (it appends no event); its arguments (the choice)
are private: never audited, stored or logged (``live.PRIVATE_ARGS``); its reply is stored without the
voter's receipt codes, which ``services.reply_view`` adds when the reply is sent, the first time and on
every retry of the same command id. On the socket, the ballots that arrive together are cast in one
transaction (``batch.cast_many``; ``PHONGHOP_BALLOT_BATCH=0`` casts each alone through this handler).
"""

from __future__ import annotations

from typing import Any

from meetings.services import live
from meetings.services.live import Context
from meetings.voting import batch, services


@live.command("vote.open")
def vote_open(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    item = services.open_vote(ctx.user, ctx.meeting, args.get("item_id"))
    return {"item_id": item.pk}


@live.command("vote.extend")
def vote_extend(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    item = services.extend(ctx.user, ctx.meeting, args.get("item_id"), args.get("seconds"))
    return {"item_id": item.pk, "deadline": services.iso(item.deadline)}


@live.command("vote.close")
def vote_close(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    item = services.close(ctx.user, ctx.meeting, args.get("item_id"))
    return {"item_id": item.pk}


@live.command("vote.publish")
def vote_publish(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    item = services.publish(ctx.user, ctx.meeting, args.get("item_id"))
    return {"item_id": item.pk}


@live.command("vote.cast", lock_meeting=False, private_args=True, reply_view=services.reply_view,
              batch=batch.cast_many)
def vote_cast(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    return services.cast(ctx.user, ctx.meeting, ctx.participant, args.get("item_id"), args.get("choices"),
                         args.get("text", ""))
