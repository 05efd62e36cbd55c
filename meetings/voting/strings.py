"""Strings the vote scripts show (the ballot, the voting console, the hall screen), translated here and
handed to them as JSON by ``{% vote_strings %}``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STRINGS = {
    "vote": _("Vote"),
    "secret": _("Secret ballot"),
    "named": _("Named (open) vote"),
    "rule": _("Passes with %(rule)s"),
    "choose_up_to": _("Choose up to %(n)s."),
    "send_ballot": _("Send my ballot"),
    "confirm_title": _("Please confirm your ballot"),
    "you_chose": _("You chose: %(choice)s"),
    "blank": _("a blank ballot (no one)"),
    "confirm": _("Confirm and send"),
    "back": _("Choose again"),
    "sending": _("Sending your ballot…"),
    "voted": _("You have voted."),
    "voted_weight": _("You have voted, with %(weight)s votes (your own and the proxies you hold)."),
    "your_choice": _("Your choice: %(choice)s"),
    "receipts_title": _("Your receipt code"),
    "receipts_note": _("Write it down: once the result is announced, you can check that your ballot was counted. "
                       "Nobody else is shown this code."),
    "change": _("Change my choice"),
    "not_eligible": _("You have no voting right in this vote."),
    "proxy_given": _("You gave your proxy to %(name)s, who votes for you."),
    "closed_wait": _("Voting has ended. The result will be announced by the chair."),
    "time_left": _("Time left: %(time)s"),
    "time_up": _("Time is up"),
    "no_vote": _("No vote is under way."),
    "result": _("Result"),
    "passed": _("Passed"),
    "not_passed": _("Not passed"),
    "check_receipt": _("Check my receipt"),
    "receipt_placeholder": _("e.g. 7QK2-M9XD-4PTA-H3NB"),
    "receipt_found": _("Counted: %(choice)s"),
    "receipt_missing": _("This receipt is not in the list of ballots."),
    "receipt_invalid": _("This is not a receipt code (16 letters and digits)."),
    "other_text": _("Your opinion"),
    "text_required": _("Please write your opinion."),
    # The organisers' console
    "status_prepared": _("Prepared"),
    "status_open": _("Voting"),
    "status_closed": _("Closed"),
    "status_published": _("Result announced"),
    "open": _("Open the vote"),
    "close": _("Close the vote"),
    "publish": _("Announce the result"),
    "extend": _("+%(seconds)s s"),
    "delete": _("Delete"),
    "confirm_close": _("Close the vote? No ballot is taken after that."),
    "confirm_publish": _("Announce the result to everyone?"),
    "confirm_delete": _("Delete this prepared vote?"),
    "voted_count": _("Voted: %(voted)s of %(voters)s"),
    "not_voted": _("Not voted yet: %(names)s"),
    "everyone_voted": _("Everyone has voted."),
    "no_votes": _("No vote prepared yet."),
    "prepared_ok": _("The vote has been prepared."),
    "export_csv": _("CSV"),
    "export_xlsx": _("Excel"),
    "export_pdf": _("PDF"),
    "screen": _("Hall screen"),
    "agenda_item": _("Agenda item %(order)s"),
    "votes_count": _("%(votes)s votes"),
}


def strings() -> dict[str, str]:
    return {key: str(value) for key, value in STRINGS.items()}
