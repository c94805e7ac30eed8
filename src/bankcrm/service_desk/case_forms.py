"""The case page's forms: what they send to the service (`CaseChange`, `SurveyIn`) and
the service's refusals in words, each next to the field it concerns (catalogue msgids)."""

from __future__ import annotations

from pydantic import ValidationError

from bankcrm.kit.errors import Conflict, InvalidInput
from bankcrm.service_desk.schemas import CaseChange, CaseOut, SurveyIn
from bankcrm.web.i18n import N_

Errors = dict[str, tuple[str, dict[str, object]]]  # field ("form": the whole form) -> msgid

REQUIRED = N_("This field is required.")
TOO_LONG = N_("Too long: at most %(max)s characters.")
NOT_A_CHOICE = N_("Choose one of the options.")
INVALID = N_("This value is not accepted.")
STALE = N_(
    "Someone changed this case meanwhile. It is shown as it is now: check it and send "
    "your change again."
)
NOTHING = N_("Change at least one field.")
NEEDS_RESOLUTION = N_("A resolved or closed case needs a resolution.")
BAD_MOVE = N_("A case in this status cannot move there.")
BAD_ASSIGNEE = N_("Choose an active case handler.")
SURVEY_DONE = N_("This case already has its survey.")
SURVEY_TOO_EARLY = N_("The survey is taken once the case is resolved.")
SCORES: dict[str, str] = {
    "csat": N_("Choose a score from 1 to 5."),
    "nps": N_("Choose a score from 0 to 10."),
}
# The service's refusals, by the field it names (the form's own words for each).
RULES: dict[str, tuple[str, str]] = {
    "version": ("form", STALE),
    "status": ("status", BAD_MOVE),
    "resolution": ("resolution", NEEDS_RESOLUTION),
    "assignee_id": ("assignee_id", BAD_ASSIGNEE),
    "case_id": ("form", SURVEY_DONE),
}


def change_of(case: CaseOut, version: str, values: dict[str, str]) -> CaseChange:
    """The change the work form asks for: only the fields that differ from the case as it
    is (a blank choice keeps the field), so `update_case` sees just what was changed."""
    fields: dict[str, object] = {"version": int(version) if version.isdigit() else 0}
    if values["status"]:
        fields["status"] = values["status"]
    assignee = values["assignee_id"].strip()
    if assignee and assignee != str(case.assignee_id):
        fields["assignee_id"] = assignee
    if values["priority"] and values["priority"] != case.priority:
        fields["priority"] = values["priority"]
    resolution = values["resolution"].strip()
    if resolution and resolution != (case.resolution or ""):
        fields["resolution"] = resolution
    return CaseChange(**fields)


def survey_of(values: dict[str, str]) -> SurveyIn:
    """The survey form's answer (a blank score is missing, not zero)."""
    fields: dict[str, object] = {k: values[k].strip() for k in ("csat", "nps") if values[k].strip()}
    fields["comment"] = values["comment"].strip() or None
    return SurveyIn(**fields)


def field_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        kind = error["type"]
        if field == "version":
            found: tuple[str, dict[str, object]] = (STALE, {})
            field = "form"
        elif kind == "missing":
            found = (REQUIRED, {})
        elif field in SCORES:
            found = (SCORES[field], {})
        elif kind == "string_too_long":
            found = (TOO_LONG, {"max": error.get("ctx", {}).get("max_length")})
        elif kind == "literal_error":
            found = (NOT_A_CHOICE, {})
        else:
            found = (INVALID, {})
        errors.setdefault(field, found)
    return errors


def rule_error(exc: InvalidInput | Conflict, form: str) -> Errors:
    """A service refusal on the `form` ("work" or "survey") as the error to show."""
    field = exc.field
    if field is None:
        return {"form": (NOTHING if isinstance(exc, InvalidInput) else INVALID, {})}
    if form == "survey" and field == "status":
        return {"form": (SURVEY_TOO_EARLY, {})}
    where, message = RULES.get(field, (field, INVALID))
    return {where: (message, {})}
