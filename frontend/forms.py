"""Forms of the pages. They only parse input; the services decide what is valid and say why."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import directory
from accounts import services as accounts_services
from accounts.models import Unit, User
from meetings.errors import TooManyAttempts
from meetings.models import Meeting, MeetingKind, Participant, Room

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class Form(forms.Form):
    """Labels without Django's trailing colon: the layout puts them above their fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def people_choices(users: Iterable[User], blank: str | None = "—") -> list:
    """People grouped by unit, as <optgroup>s: "Full name — position"."""
    users = sorted(users, key=lambda u: (str(u.unit) if u.unit_id else "", u.get_full_name()))
    choices: list = [("", blank)] if blank is not None else []
    for unit, members in groupby(users, key=lambda u: str(u.unit) if u.unit_id else ""):
        options = [(u.pk, f"{u.get_full_name()} — {u.position}" if u.position else u.get_full_name())
                   for u in members]
        choices.append((unit or _("No unit"), options))
    return choices


def active_people():
    return User.objects.filter(is_active=True).select_related("unit")


class PersonField(forms.TypedChoiceField):
    """A person chosen from a grouped list; cleans to the user's id (services accept ids)."""

    def __init__(self, *, required=False, **kwargs):
        super().__init__(coerce=int, empty_value=None, required=required, **kwargs)


def remote_site_choices() -> list[tuple[int, str]]:
    """Remote sites in the order of the unit tree: each district followed by its communes."""
    units = {u.pk: u for u in Unit.objects.all()}

    def path(unit: Unit) -> list[tuple[int, str]]:
        chain, seen = [], set()
        while unit is not None and unit.pk not in seen:
            seen.add(unit.pk)
            chain.append((unit.order, unit.name))
            unit = units.get(unit.parent_id)
        return chain[::-1]

    sites = sorted((u for u in units.values() if u.is_remote_site), key=path)
    return [(u.pk, u.name) for u in sites]


class MeetingForm(Form):
    kind = forms.ModelChoiceField(MeetingKind.objects.all(), required=False, label=_("Meeting kind"),
                                  empty_label="—")
    title = forms.CharField(max_length=500, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label=_("Content"))
    host_unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Host unit"), empty_label=None)
    chair = PersonField(label=_("Chair"))
    secretary = PersonField(label=_("Meeting secretary"))
    start = forms.DateTimeField(widget=DateTimeLocalInput(), label=_("Start"))
    end = forms.DateTimeField(widget=DateTimeLocalInput(), label=_("End"))
    room = forms.ModelChoiceField(Room.objects.all(), required=False, label=_("Meeting room"), empty_label="—")
    location = forms.CharField(max_length=255, required=False, label=_("Place"),
                               help_text=_("Address or room, when it is not in the list of rooms."))
    format = forms.ChoiceField(choices=Meeting.Format.choices, widget=forms.RadioSelect, label=_("Format"),
                               initial=Meeting.Format.IN_PERSON)
    remote_sites = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label=_("Remote sites"),
        help_text=_("For online and hybrid meetings: the sites that join the main site."),
    )
    classification = forms.ChoiceField(choices=Meeting.Classification.choices, label=_("Classification"),
                                       initial=Meeting.Classification.NONE)
    urgent = forms.BooleanField(required=False, label=_("Urgent meeting (họp đột xuất)"),
                                help_text=_("An urgent meeting may be published with less notice than "
                                            "the required working days."))
    preparation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  label=_("What participants should prepare"))
    contact = forms.CharField(max_length=255, required=False, label=_("Contact person"),
                              help_text=_("Name and telephone of the person to contact about the meeting."))

    def __init__(self, *args, host_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host_unit"].queryset = host_units
        people = people_choices(active_people())
        self.fields["chair"].choices = people
        self.fields["secretary"].choices = people
        self.fields["remote_sites"].choices = remote_site_choices()

    def service_values(self) -> tuple[dict, list[int]]:
        """(values for create_meeting / update_meeting, ids of remote sites)."""
        values = dict(self.cleaned_data)
        sites = values.pop("remote_sites")
        return values, sites

    @staticmethod
    def initial_from(meeting: Meeting) -> dict:
        return {
            "kind": meeting.kind_id, "title": meeting.title, "description": meeting.description,
            "host_unit": meeting.host_unit_id, "chair": meeting.chair_id, "secretary": meeting.secretary_id,
            "start": meeting.start, "end": meeting.end, "room": meeting.room_id, "location": meeting.location,
            "format": meeting.format, "remote_sites": list(meeting.remote_sites.values_list("pk", flat=True)),
            "classification": meeting.classification, "urgent": meeting.urgent,
            "preparation": meeting.preparation, "contact": meeting.contact,
        }


class AgendaItemForm(Form):
    title = forms.CharField(max_length=500, required=False, label=_("Agenda item"))
    presenter = PersonField(label=_("Presenter"))
    presenter_name = forms.CharField(max_length=255, required=False, label=_("Presenter (if not a user)"))
    planned_minutes = forms.IntegerField(
        label=_("Planned time (minutes)"), initial=15, widget=forms.NumberInput(attrs={"min": 1, "max": 1440}),
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Notes"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["presenter"].choices = people_choices(active_people())


VOTE_CHOICES = [("", _("As the role gives")), ("1", _("Yes")), ("0", _("No"))]


def _vote(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


class ParticipantAddForm(Form):
    user = PersonField(required=True, label=_("Person to invite"))
    role = forms.ChoiceField(choices=Participant.Role.choices, initial=Participant.Role.DELEGATE,
                             label=_("Role in the meeting"))
    can_vote = forms.TypedChoiceField(choices=VOTE_CHOICES, coerce=_vote, empty_value=None, required=False,
                                      label=_("Voting right"))
    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("Remote site"))

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        taken = meeting.participants.values_list("user_id", flat=True)
        self.fields["user"].choices = people_choices(active_people().exclude(pk__in=taken))
        self.fields["site"].choices = [("", "—"), *remote_site_choices()]


class ParticipantEditForm(Form):
    role = forms.ChoiceField(choices=Participant.Role.choices, label=_("Role in the meeting"))
    can_vote = forms.BooleanField(required=False, label=_("Voting right"))
    site = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("Remote site"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "—"), *remote_site_choices()]


RSVP_ANSWERS = [
    (Participant.Rsvp.CONFIRMED, _("I will attend")),
    (Participant.Rsvp.DECLINED, _("I cannot attend (báo vắng)")),
    (Participant.Rsvp.SUBSTITUTED, _("I send someone in my place")),
    (Participant.Rsvp.PROXY, _("I give my proxy to another participant")),
]


class RsvpForm(Form):
    answer = forms.ChoiceField(choices=RSVP_ANSWERS, widget=forms.RadioSelect, label=_("Your answer"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                             label=_("Reason for absence"))
    substitute = PersonField(label=_("Person attending in your place"))
    proxy_to = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("Proxy holder"))

    def __init__(self, *args, meeting: Meeting, me: Participant, **kwargs):
        super().__init__(*args, **kwargs)
        taken = meeting.participants.values_list("user_id", flat=True)
        # Only people the delegate may see in the directory (accounts/directory.py), not the whole province.
        candidates = directory.visible_people(me.user).select_related("unit").exclude(pk__in=taken)
        self.fields["substitute"].choices = people_choices(candidates)
        holders = meeting.participants.filter(can_vote=True).exclude(pk=me.pk).select_related("user")
        self.fields["proxy_to"].choices = [("", "—")] + [(p.pk, p.user.get_full_name()) for p in holders]
        self.can_give_proxy = me.can_vote
        if not me.can_vote:
            self.fields["answer"].choices = RSVP_ANSWERS[:3]
            del self.fields["proxy_to"]


class CancelForm(Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                             label=_("Reason for cancelling"))


class CalendarFilterForm(Form):
    start_from = forms.DateField(required=False, widget=DateInput(), label=_("From"))
    start_to = forms.DateField(required=False, widget=DateInput(), label=_("To"))
    host_unit = forms.ModelChoiceField(Unit.objects.all(), required=False, label=_("Host unit"),
                                       empty_label=_("All units"))


STATUS_CHOICES = [("", _("All statuses")), *Meeting.Status.choices]


class SearchForm(CalendarFilterForm):
    q = forms.CharField(required=False, max_length=200, label=_("Keywords"), widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Words in the title or content, with or without diacritics")}))
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label=_("Status"))

    field_order = ["q", "status", "start_from", "start_to", "host_unit"]


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong user name or password. Note that both are case-sensitive."),
        "inactive": _("This account has been disabled. Ask the administrator of your unit."),
    }

    def clean(self):
        # The sign-in limiter (accounts/throttle.py) goes first: a locked-out pair of user name and
        # address is refused, and told until when, before its password is checked.
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password"):
            try:
                accounts_services.guard_sign_in(self.request, username)
            except TooManyAttempts as refused:
                raise forms.ValidationError(refused.message, code="too_many_attempts") from None
        return super().clean()
