"""Votes (biểu quyết) as stored. Only meetings.voting.services changes these rows.

Secret ballots follow docs/voting.md, "Secret ballots": the fact that someone voted (``Participation``) and
what was chosen (``SealedBallot`` while the vote is open, ``SecretBallot`` after it closed) share no key, no
order and no time. Neither ballot table has a participant, a timestamp, a sequence number or a weight, and
both use random (version 4) UUIDs as primary keys.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, Meeting, Participant


class VotingItem(models.Model):
    """One question put to the vote, prepared per agenda item or added live."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        OPEN = "open", _("Voting")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Result announced")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="voting_items",
                                verbose_name=_("meeting"))
    # A plain reference: deleting an agenda item must not change or delete the record of a vote.
    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                                    blank=True, related_name="+", verbose_name=_("agenda item"))
    # meetings.voting.options.Question.to_dict(): text, kind, options, max/min choices, seats.
    question = models.JSONField(_("question"))
    preset = models.CharField(_("options"), max_length=32, default="approval")
    secret = models.BooleanField(_("secret ballot"), default=False)
    # meetings.voting.rules.Rule.to_dict(): threshold, denominator, quorum, abstentions.
    rule = models.JSONField(_("rule"))
    noun = models.CharField(_("who votes (in the result)"), max_length=40, default="đại biểu")
    allow_change = models.BooleanField(_("voters may change their choice before close"), default=False)
    duration = models.PositiveIntegerField(_("time to vote (seconds, 0: until closed)"), default=0)
    # The result is announced as soon as the vote closes, by the chair or at its deadline (deadlines.py).
    publish_on_close = models.BooleanField(_("announce the result as soon as the vote closes"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREPARED)
    # Taken when the vote opens: {"members", "present", "voters", "refused_proxies"}; who may vote with what
    # weight is in ``Voter``.
    electorate = models.JSONField(_("electorate"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    deadline = models.DateTimeField(_("voting ends"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    published_at = models.DateTimeField(_("result announced"), null=True, blank=True)
    # meetings.voting.rules.Result.to_dict(), and its Vietnamese sentence for the record.
    result = models.JSONField(_("result"), null=True, blank=True)
    sentence = models.TextField(_("result in words"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("prepared by"))
    created_at = models.DateTimeField(_("prepared"), default=timezone.now)
    # Last live tally frame, shared by all server processes to send at most two per second.
    tally_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["meeting", "id"]
        indexes = [models.Index(fields=["meeting", "status"], name="votingitem_meeting_status")]

    def __str__(self) -> str:
        return self.question.get("text", "") if isinstance(self.question, dict) else str(self.pk)


class Voter(models.Model):
    """Who may vote, and with what weight: the electorate, taken when the vote opens (proxies resolved).

    A member who gave a valid proxy is here with weight 0 and their holder; the holder's weight is 1 + the
    proxies they hold. Members and guests without a voting right are not here."""

    item = models.ForeignKey(VotingItem, on_delete=models.CASCADE, related_name="voters")
    participant = models.ForeignKey(Participant, on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="+", verbose_name=_("participant"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("person"))
    name = models.CharField(_("full name"), max_length=255)
    weight = models.PositiveIntegerField(_("weight"))  # 0: gave a proxy
    present = models.BooleanField(_("present when the vote opened"), default=False)
    proxy_holder = models.ForeignKey(Participant, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                                     blank=True, related_name="+", verbose_name=_("proxy given to"))

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [models.UniqueConstraint(fields=["item", "participant"], name="one_voter_row_per_participant")]


class Participation(models.Model):
    """The fact that a voter took part: one row per voter and vote, enforced by the database.

    For a named (open) vote the row is also the ballot (``choices``, ``text``). For a secret vote it holds
    no choice; ``receipts_sealed`` keeps the voter's receipt codes, sealed under the vote's key, so the
    voter can see them again while the vote is open; it is blanked when the vote closes.
    """

    item = models.ForeignKey(VotingItem, on_delete=models.CASCADE, related_name="participations")
    # Plain references: removing someone from the meeting must not remove the fact that they voted.
    participant = models.ForeignKey(Participant, on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="+", verbose_name=_("participant"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("person"))
    weight = models.PositiveIntegerField(_("weight"), default=1)  # 1 + proxies held
    cast_at = models.DateTimeField(_("voted at"), default=timezone.now)
    choices = models.JSONField(_("choices"), null=True, blank=True)  # named votes only
    text = models.TextField(_("other opinion"), blank=True)  # named votes only
    receipts_sealed = models.TextField(blank=True, editable=False)  # secret votes, until close

    class Meta:
        verbose_name = _("participation in a vote")
        verbose_name_plural = _("participations in votes")
        constraints = [models.UniqueConstraint(fields=["item", "participant"], name="one_ballot_per_voter")]


class SealedBallot(models.Model):
    """A secret unit ballot while the vote is open: encrypted and padded (secrecy.seal_ballot); deleted at close."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(VotingItem, on_delete=models.CASCADE, related_name="+")
    box = models.BinaryField()
    # secrecy.voter_tag: finds a voter's rows when the vote lets them change their choice; empty otherwise.
    tag = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("sealed ballot")
        verbose_name_plural = _("sealed ballots")
        indexes = [models.Index(fields=["item", "tag"], name="sealedballot_item_tag")]


class SecretBallot(models.Model):
    """A secret unit ballot after close: written in one statement, in the order of its random id."""

    id = models.UUIDField(primary_key=True, editable=False)
    item = models.ForeignKey(VotingItem, on_delete=models.CASCADE, related_name="secret_ballots")
    choices = models.JSONField(_("choices"))
    text = models.TextField(_("other opinion"), blank=True)
    receipt = models.CharField(_("receipt code"), max_length=19)

    class Meta:
        verbose_name = _("secret ballot")
        verbose_name_plural = _("secret ballots")
        constraints = [models.UniqueConstraint(fields=["item", "receipt"], name="one_ballot_per_receipt")]


class BallotRequest(models.Model):
    """A ballot sent over REST with an ``Idempotency-Key`` (rest_cast.py): the key, once per voter and vote.

    ``reply`` is what the socket's command receipt stores for a ballot (never the choice, never the receipt
    codes). ``fingerprint`` is an HMAC, under the vote's key, of the key and the choice, so that the same key
    sent with another choice is refused; for a secret vote it is blanked when the vote closes, like the
    sealed receipt codes, since whoever holds the ballot secret could try the few possible choices."""

    item = models.ForeignKey(VotingItem, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, blank=True)
    reply = models.JSONField()

    class Meta:
        verbose_name = _("ballot request")
        verbose_name_plural = _("ballot requests")
        constraints = [models.UniqueConstraint(fields=["item", "user", "key"], name="one_ballot_request_per_key")]
