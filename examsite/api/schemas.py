"""The request and response bodies of /api/v1, as pydantic models.

The views validate requests with the `*In` models and shape their replies with the others; the
OpenAPI document (`examsite.api.spec`) is built from these models' JSON schemas, so the two cannot
drift apart. Response models forbid unknown fields: a field a view adds without describing it here
fails the tests (and schemathesis), instead of going undocumented.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, WithJsonSchema

from examsite.delivery.services import INTEGRITY_KINDS
from examsite.errors import ApiError
from examsite.instructors.analysis import FLAG_CODES
from examsite.reports.queries import ATTEMPT_SCOPES, GROUPINGS

#: an ISO 8601 time with a UTC offset, as the presenters write it
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
OptionalTime = Annotated[
    str | None, WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})
]


class Reply(BaseModel):
    """A response body: every field it carries is described here, with its exact type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Request(BaseModel):
    """A request body: unknown fields are ignored (as they always were), types are not coerced."""

    model_config = ConfigDict(extra="ignore", strict=True)


def parse_body(model: type[Request], data: dict) -> Request:
    """Validate a JSON object (from `json_body()`) against `model`: 422 with the fields on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        message = "; ".join(f"{name}: {text}" for name, text in fields.items())
        raise ApiError(422, "invalid", f"Invalid request: {message}.", fields=fields) from exc


def reply(model: type[Reply], data: dict[str, Any]) -> dict[str, Any]:
    """`data`, once checked against `model`. Replies are strict and forbid unknown fields, so a
    valid `data` is exactly what the model describes; it is returned as it is rather than dumped
    again (half the cost on the attempt read, which the exam-day benchmark measures)."""
    model.model_validate(data)
    return data


# --- errors -------------------------------------------------------------------------------------


class Error(BaseModel):
    """Every error: a machine code and a sentence; some errors add fields (e.g. `available_at`)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="A stable code, e.g. `invalid`, `not_found`, `attempt_closed`")
    message: str = Field(description="What went wrong, in words")
    fields: dict[str, str] | None = Field(default=None, description="422: what is wrong with each field")
    available_at: OptionalTime = Field(default=None, description="409 retake_not_allowed: from when")


# --- roles --------------------------------------------------------------------------------------


class RoleExam(Reply):
    items: int = Field(description="Scored items on a form")
    pretest_items: int = Field(description="Unscored pretest items added to a form")
    minutes: int
    passing_percent: float
    retake_days: int
    attempts_per_year: int | None


class Role(Reply):
    slug: str
    name: str
    category: str = Field(description="The category's slug")
    category_name: str
    track: Literal["community college", "university"]
    summary: str
    exam: RoleExam


class RoleList(Reply):
    roles: list[Role]


# --- attempts -----------------------------------------------------------------------------------


class StartAttemptIn(Request):
    role: StrictStr = Field(min_length=1, description="The role's slug (see GET /roles)")


class Option(Reply):
    id: str
    text: str


class Scenario(Reply):
    id: str
    title: str
    case: str


class AttemptItem(Reply):
    id: int
    position: int
    type: Literal["single", "multiple"]
    choose: int = Field(description="How many options the item asks for")
    stem: str
    options: list[Option]
    response: list[str] = Field(description="The option ids chosen so far")
    flagged: bool
    scenario: Scenario | None


class DomainResult(Reply):
    name: str
    correct: int
    total: int


class CertificateRef(Reply):
    code: str


class Result(Reply):
    status: Literal["in_progress", "submitted", "expired"]
    score_percent: float | None
    raw_score: int | None
    scored_items: int | None
    passed: bool
    passing_percent: float
    domains: list[DomainResult]
    certificate: CertificateRef | None
    closed_at: OptionalTime


class Attempt(Reply):
    id: int
    role: str = Field(description="The role's slug")
    role_name: str
    status: Literal["in_progress", "submitted", "expired"]
    started_at: Time
    deadline: Time
    grace_seconds: int
    server_time: Time
    seconds_left: int
    item_count: int | None = None
    items: list[AttemptItem] | None = Field(default=None, description="Never keys while open")
    result: Result | None = Field(default=None, description="Once the attempt is closed")


class Clock(Reply):
    status: Literal["in_progress", "submitted", "expired"]
    deadline: Time
    server_time: Time


class ResponseIn(Request):
    """PUT .../responses/{item_id}. The save view checks these rules inline (its hot path);
    tests/integration/test_openapi.py holds the view and this model to the same answers."""

    choices: list[StrictStr] = Field(default_factory=list, max_length=6, description="Option ids")
    flagged: StrictBool | None = None


class Saved(Reply):
    saved_at: Time
    item_id: int
    choices: list[str] = Field(description="The option ids stored, duplicates removed")


class StruckIn(Request):
    """PUT .../items/{item_id}/struck: the options struck out on the page (a reading aid)."""

    struck: list[StrictStr] = Field(max_length=10, description="Option ids struck out; [] clears them")


class Struck(Reply):
    item_id: int
    struck: list[str] = Field(description="The option ids stored, duplicates removed")


class PreferencesIn(Request):
    """PUT /me/preferences: what the exam page's text size and contrast controls send."""

    text_size: Literal[100, 125, 150, 175, 200] | None = Field(
        default=None, description="Text size in percent of the normal size"
    )
    theme: Literal["default", "high-contrast"] | None = None


class Preferences(Reply):
    text_size: int = Field(description="Text size in percent of the normal size")
    theme: str = Field(json_schema_extra={"enum": ["default", "high-contrast"]})


class EventIn(Request):
    #: an unknown kind is the service's 422 `unknown_event`, as it always was
    kind: StrictStr = Field(json_schema_extra={"enum": list(INTEGRITY_KINDS)})
    details: Any = Field(
        default_factory=dict,
        description="Up to 10 keys kept, as text; anything but an object is ignored",
        json_schema_extra={"type": "object"},
    )


class Event(Reply):
    id: int
    kind: Literal[INTEGRITY_KINDS]  # type: ignore[valid-type]
    occurred_at: Time


# --- certificates -------------------------------------------------------------------------------


class CertificateRole(Reply):
    slug: str
    name: str


class Certificate(Reply):
    code: str
    holder: str
    role: CertificateRole
    category: str
    issued_at: Time
    expires_at: OptionalTime
    status: Literal["valid", "revoked", "expired"]
    revoked_reason: str | None
    revoked_at: OptionalTime
    renews: str | None = Field(default=None, description="Code of the certificate this one renews")
    renewed_by: str | None = Field(
        default=None, description="Code of the certificate that renewed this one (its successor)"
    )


class RevokedCredential(Reply):
    id: str
    revoked: bool
    revocationReason: str  # noqa: N815 - 1EdTech's name


class CertificateStatus(Reply):
    """1EdTech Revocation List fields (`id`, `issuer`, `revokedCredential`) and this certificate's."""

    id: str
    issuer: str
    revokedCredential: list[RevokedCredential]  # noqa: N815 - 1EdTech's name
    code: str
    status: Literal["valid", "revoked", "expired"]
    revoked: bool
    revoked_at: OptionalTime
    revoked_reason: str | None
    checked_at: Time


class Jwk(BaseModel):
    """A public JSON Web Key (RFC 7517); members depend on the key type."""

    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str | None = None


class Jwks(Reply):
    keys: list[Jwk]


class IssuerImage(Reply):
    id: str
    type: Literal["Image"]


class IssuerProfile(Reply):
    context: list[str] = Field(alias="@context")
    id: str
    type: list[str]
    name: str
    url: str
    image: IssuerImage
    jwks: str
    email: str | None = None


# --- reports ------------------------------------------------------------------------------------


class PassRateRow(Reply):
    group: str
    group_key: str
    attempts: int
    candidates: int
    passed: int
    pass_rate: float | None = Field(description="Percent of attempts passed")
    mean_score: float | None
    sd_score: float | None
    passing_percent_min: float | None
    passing_percent_max: float | None


class PassRateReport(Reply):
    by: Literal[tuple(GROUPINGS)]  # type: ignore[valid-type]
    from_: OptionalTime = Field(alias="from")
    to: OptionalTime
    attempts: Literal[tuple(ATTEMPT_SCOPES)]  # type: ignore[valid-type]
    rows: list[PassRateRow]
    total: PassRateRow


# --- item analysis ------------------------------------------------------------------------------


class OptionAnalysis(Reply):
    id: str
    share: float = Field(description="Share of all candidates who chose it")
    upper: float | None = Field(description="Share of the upper 27% by score")
    lower: float | None = Field(description="Share of the lower 27% by score")
    key: bool


class ItemFlag(Reply):
    code: Literal[FLAG_CODES]  # type: ignore[valid-type]
    reason: str


class ItemAnalysis(Reply):
    external_id: str
    item_version_id: int
    scored: bool = Field(description="False for a pretest item (analysed, never scored)")
    responses: int
    facility: float | None
    discrimination: float | None = Field(description="Corrected item-total correlation")
    upper_lower: float | None = Field(description="Facility in the upper minus the lower 27%")
    options: list[OptionAnalysis]
    flags: list[ItemFlag]


class FormStatistics(Reply):
    candidates: int
    passed: int
    pass_rate: float | None
    items: int
    passing_percent: float | None = Field(description="None over a category whose roles' standards differ")
    mean: float | None = Field(description="Mean raw score")
    sd: float | None
    kr20: float | None
    sem: float | None
    csem_at_cut: float | None = Field(description="Conditional SEM at the passing score")


class FormStatisticsPair(Reply):
    all: FormStatistics
    first: FormStatistics


class ItemStatistics(Reply):
    role: str | None = Field(description="The role analysed; None for a category")
    category: str | None = Field(default=None, description="The category analysed (all its roles)")
    from_: OptionalTime = Field(alias="from")
    to: OptionalTime
    attempts: int
    simulated: int = Field(description="How many of the attempts are simulated")
    calculated_at: Time
    items: list[ItemAnalysis]
    forms: FormStatisticsPair


class PretestAdvice(Reply):
    external_id: str
    item_version_id: int
    responses: int
    facility: float | None
    discrimination: float | None
    recommendation: Literal["activate", "wait", "revise"] = Field(
        description="activate: figures in range; wait: too few responses; revise: a figure or flag is off"
    )
    reason: str = Field(description="In plain words, why")


class PretestRecommendations(Reply):
    role: str | None
    category: str | None
    from_: OptionalTime = Field(alias="from")
    to: OptionalTime
    attempts: int
    calculated_at: Time
    items: list[PretestAdvice]


# --- skills profile ------------------------------------------------------------------------------


class SkillsDomain(Reply):
    code: str
    name: str
    level: Literal["not_shown", "developing", "proficient", "advanced"] = Field(
        description="Estimated from every scored answer in the domain (see examsite/skills/rules.py)"
    )
    items: int = Field(ge=0, description="Scored items the level rests on")
    last_tested_at: OptionalTime = Field(description="When the latest attempt with items of it closed")


class RoleReadiness(Reply):
    slug: str
    readiness: float = Field(
        ge=0, le=1, description="Blueprint-weighted share of domains at least proficient"
    )
    to_study: list[str] = Field(description="Domain codes not yet proficient, heaviest first")


class SkillsProfile(Reply):
    domains: list[SkillsDomain]
    roles: list[RoleReadiness]
    next_roles: list[str] = Field(description="Role slugs: lateral within a category, upward across tracks")


class SkillsGapRow(Reply):
    group: str = Field(
        description="The cohort (with its institution) or institution; `All trainees` to compare"
    )
    group_id: int | None = Field(description="Its id; null for `All trainees` and for trainees in none")
    domain: str = Field(description="Domain code")
    domain_name: str
    trainees: int = Field(ge=0, description="Trainees with scored answers in the domain in the range")
    not_shown: float = Field(ge=0, le=1, description="Share of those trainees at this level")
    developing: float = Field(ge=0, le=1)
    proficient: float = Field(ge=0, le=1)
    advanced: float = Field(ge=0, le=1)


class SkillsGapReport(Reply):
    by: Literal["cohort", "institution"]
    group: int | None = Field(description="The one group shown, or null for every group")
    from_: OptionalTime = Field(alias="from")
    to: OptionalTime
    rows: list[SkillsGapRow]


#: every model the document describes, by its name in components/schemas
COMPONENTS: tuple[type[BaseModel], ...] = (
    Error,
    RoleList,
    StartAttemptIn,
    Attempt,
    Clock,
    ResponseIn,
    Saved,
    StruckIn,
    Struck,
    PreferencesIn,
    Preferences,
    Result,
    EventIn,
    Event,
    Certificate,
    CertificateStatus,
    Jwks,
    Jwk,
    IssuerProfile,
    PassRateReport,
    ItemStatistics,
    PretestRecommendations,
    SkillsProfile,
    SkillsGapReport,
)
