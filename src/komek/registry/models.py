"""The registry database: one table per contract table, the ingestion log and quarantine, and
the audit's findings with their review (the database holds every table; the wings use them).

Table and column names are the contract's (src/komek/kz/contract.yaml); the primary key is the
contract's `key`. Every row carries `extract_as_of`: the as_of date of the extract that last
changed it, so an older extract can be refused row by row.

Money is Numeric(14, 2). PostgreSQL stores it exactly; SQLite stores it as REAL, which holds the
at most 14 significant digits of a Numeric(14, 2) exactly, and SQLAlchemy reads it back as a
Decimal rounded to the tiyn, so round trips are exact on both (tests/test_registry.py checks it).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Iin = Annotated[str, 12]        # also a BIN: 12 digits
Region = Annotated[str, 2]      # KATO first level
Period = Annotated[str, 7]      # YYYY-MM or YYYY-Qn
Code = Annotated[str, 20]


class Base(DeclarativeBase):
    type_annotation_map = {
        Iin: String(12), Region: String(2), Period: String(7), Code: String(20),
        str: String, Decimal: Numeric(14, 2), dt.date: Date, bool: Boolean, float: Float,
    }


class Record(Base):
    """A row of a source table, stamped with the extract it came from."""
    __abstract__ = True
    extract_as_of: Mapped[dt.date] = mapped_column(sort_order=100)


# Indexes: an iin or household_id that leads the primary key is already indexed by it.

class Person(Record):
    __tablename__ = "persons"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    birth_date: Mapped[dt.date] = mapped_column(index=True)     # a search: full name with birth date
    sex: Mapped[Code]
    death_date: Mapped[dt.date | None]
    citizenship: Mapped[str]
    last_name: Mapped[str]
    first_name: Mapped[str]
    patronymic: Mapped[str | None]


class HouseholdMember(Record):
    __tablename__ = "households"
    household_id: Mapped[str] = mapped_column(primary_key=True)
    iin: Mapped[Iin] = mapped_column(primary_key=True, index=True)
    role: Mapped[Code]
    from_date: Mapped[dt.date] = mapped_column(primary_key=True)
    to_date: Mapped[dt.date | None]


class Address(Record):
    __tablename__ = "addresses"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    region_code: Mapped[Region]
    locality_code: Mapped[str]
    urban: Mapped[bool]
    registered_from: Mapped[dt.date] = mapped_column(primary_key=True)
    registered_to: Mapped[dt.date | None]


class Income(Record):
    __tablename__ = "incomes"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    month: Mapped[Period] = mapped_column(primary_key=True)
    kind: Mapped[Code] = mapped_column(primary_key=True)
    amount: Mapped[Decimal]
    source: Mapped[str] = mapped_column(primary_key=True)


class Contribution(Record):
    __tablename__ = "contributions"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    month: Mapped[Period] = mapped_column(primary_key=True)
    opv: Mapped[Decimal]
    opvr: Mapped[Decimal]
    employer_bin: Mapped[Iin] = mapped_column(primary_key=True)


class Disability(Record):
    __tablename__ = "disability"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    group: Mapped[Code]
    cause: Mapped[Code]
    valid_from: Mapped[dt.date] = mapped_column(primary_key=True)
    valid_to: Mapped[dt.date | None]
    exam_id: Mapped[str]


class MedicalExam(Record):
    __tablename__ = "medical_exams"
    exam_id: Mapped[str] = mapped_column(primary_key=True)
    iin: Mapped[Iin] = mapped_column(index=True)
    exam_date: Mapped[dt.date]
    outcome: Mapped[Code]


class Housing(Record):
    __tablename__ = "housing"
    household_id: Mapped[str] = mapped_column(primary_key=True)
    quarter: Mapped[Period] = mapped_column(primary_key=True)
    area_m2: Mapped[float]
    tenure: Mapped[Code]
    only_home: Mapped[bool]
    utilities: Mapped[Decimal]
    maintenance: Mapped[Decimal]
    communication: Mapped[Decimal]
    rent: Mapped[Decimal]


class Asset(Record):
    __tablename__ = "assets"
    asset_id: Mapped[str] = mapped_column(primary_key=True)
    iin: Mapped[Iin] = mapped_column(index=True)
    kind: Mapped[Code]
    value: Mapped[Decimal]
    acquired: Mapped[dt.date]
    disposed: Mapped[dt.date | None]


class Employment(Record):
    __tablename__ = "employment"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    employer_bin: Mapped[Iin] = mapped_column(primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(primary_key=True)
    end_date: Mapped[dt.date | None]
    occupation_code: Mapped[str]
    region_code: Mapped[Region]
    wage: Mapped[Decimal]


class Payment(Record):
    __tablename__ = "payments"
    payment_id: Mapped[str] = mapped_column(primary_key=True)
    iin: Mapped[Iin] = mapped_column(index=True)
    household_id: Mapped[str | None] = mapped_column(index=True)
    measure: Mapped[str]
    month: Mapped[Period]
    amount: Mapped[Decimal]
    region_code: Mapped[Region]


class BorderCrossing(Record):
    __tablename__ = "border_crossings"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(primary_key=True)
    direction: Mapped[Code] = mapped_column(primary_key=True)


class AccountActivity(Record):
    __tablename__ = "account_activity"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(34), primary_key=True)
    month: Mapped[Period] = mapped_column(primary_key=True)
    expenditures: Mapped[int] = mapped_column(Integer)


class Jobseeker(Record):
    __tablename__ = "jobseekers"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    region_code: Mapped[Region]
    occupation_code: Mapped[str]
    registered: Mapped[dt.date] = mapped_column(primary_key=True)
    status: Mapped[Code]
    wage: Mapped[Decimal | None]


class Vacancy(Record):
    __tablename__ = "vacancies"
    vacancy_id: Mapped[str] = mapped_column(primary_key=True)
    employer_bin: Mapped[Iin]
    region_code: Mapped[Region]
    occupation_code: Mapped[str]
    posted: Mapped[dt.date]
    status: Mapped[Code]
    wage: Mapped[Decimal]


class Injury(Record):
    __tablename__ = "injuries"
    case_id: Mapped[str] = mapped_column(primary_key=True)
    employer_bin: Mapped[Iin]
    iin: Mapped[Iin] = mapped_column(index=True)
    date: Mapped[dt.date]
    severity: Mapped[Code]
    occupation_code: Mapped[str | None]


class Ingestion(Base):
    """One run of `ingest`: which extract, when, how it ended, and the report as JSON."""
    __tablename__ = "ingestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str]
    extract_id: Mapped[str | None]
    as_of: Mapped[dt.date]
    started: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))     # running, succeeded, failed
    report: Mapped[str | None] = mapped_column(Text)


class QuarantinedRow(Base):
    """A row that broke the contract, kept with its reasons and the record as sent."""
    __tablename__ = "quarantine"
    # SQLite only auto-numbers an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ingestion_id: Mapped[int] = mapped_column(ForeignKey("ingestions.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row: Mapped[int] = mapped_column(BigInteger)     # 1-based row number in the source file
    reason: Mapped[str] = mapped_column(Text)
    record: Mapped[str] = mapped_column(Text)        # the row as sent, JSON


class AuditFinding(Base):
    """An audit finding with its review state. Open until an auditor confirms it (with the
    amount to recover) or dismisses it (with a reason); re-running an audit refreshes a
    finding's facts and never its review."""
    __tablename__ = "audit_findings"
    finding_id: Mapped[str] = mapped_column(String(17), primary_key=True)
    check: Mapped[str] = mapped_column(String(64), index=True)
    lane: Mapped[Code]                      # rule or anomaly
    payment_id: Mapped[str | None]
    iin: Mapped[Iin] = mapped_column(index=True)
    household_id: Mapped[str | None] = mapped_column(index=True)
    region_code: Mapped[Region | None]
    month: Mapped[Period | None]
    measure: Mapped[str | None]
    amount_paid: Mapped[Decimal | None]
    amount_at_risk: Mapped[Decimal]
    evidence: Mapped[str] = mapped_column(Text)          # JSON naming the records
    severity: Mapped[Code]
    severity_rank: Mapped[int] = mapped_column(SmallInteger)  # komek.audit.severity_rank: the list's order
    rule_version: Mapped[str]
    review_state: Mapped[Code] = mapped_column(index=True)   # open, confirmed, dismissed
    recovery_amount: Mapped[Decimal | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None]
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_found: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_found: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# The findings list's order (most severe, then the largest at risk, then the id), read from an index
# page by page; the second for the list of one review state (the open ones, mostly).
Index("ix_findings_order", AuditFinding.severity_rank, AuditFinding.amount_at_risk.desc(), AuditFinding.finding_id)
Index("ix_findings_state_order", AuditFinding.review_state, AuditFinding.severity_rank,
      AuditFinding.amount_at_risk.desc(), AuditFinding.finding_id)


class Account(Base):
    """Who may sign in, with which role, for which regions (or household, for a citizen).
    `token_version` rises when the account is disabled or its role changes: tokens signed before
    then stop working."""
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[Code]
    regions: Mapped[str | None]              # KATO codes, comma-separated; none: national (auditor, analyst)
    iin: Mapped[Iin | None]                  # a citizen's own IIN
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(2))     # the pages' language chosen; none: the browser's


class ApiKey(Base):
    """A system's key: what it may do is a role (with regions), as for a person. Only a SHA-256
    of the key is kept (a key is 256 random bits, so a fast hash is safe and a request costs no
    Argon2); `prefix` names it in lists and logs. A revoked key stops working at once."""
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Code]
    regions: Mapped[str | None]
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AccessEntry(Base):
    """One read (or refused read) of personal data: who, in which role, whose data, what, why,
    when and from where. Append-only: nothing updates or deletes a row."""
    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[Code]
    subject_iin: Mapped[Iin | None] = mapped_column(index=True)
    household_id: Mapped[str | None] = mapped_column(index=True)
    what: Mapped[str]
    purpose: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None]              # the client's address
    allowed: Mapped[bool]



class Job(Base):
    """A batch job (a simulation, a scoring or an audit run), the one record of its state on every
    database: queued, running (with its progress and a heartbeat), then succeeded (with the summary
    and the folder of its results), failed (with the error) or cancelled. `params` and `summary`
    are JSON; `attempts` counts the runs begun (a run whose worker stopped is begun again)."""
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[Code]                       # simulation, score, audit
    params: Mapped[str] = mapped_column(Text)
    state: Mapped[Code] = mapped_column(index=True)   # queued, running, succeeded, failed, cancelled
    progress: Mapped[float]                  # 0 .. 1
    step: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[Code]
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    folder: Mapped[str | None]               # where the results are, once it succeeded


class Notification(Base):
    """A message to a person, written in the transaction of the change it tells of (the outbox)
    and sent by the worker's relay: pending, sending (claimed by a worker until `next_attempt`),
    then delivered, or dead after repeated failure. `text` is the rendered text, exactly what is
    sent; `delivery_id` goes to the gateway with every attempt, so a repeated attempt is not sent
    twice. `key`, when the writer gives one, makes writing the same notification again a no-op."""
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "state", "next_attempt"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[Code]                    # sms
    phone: Mapped[str] = mapped_column(String(16))      # E.164: +7 and ten digits
    iin: Mapped[Iin | None] = mapped_column(index=True)
    language: Mapped[str] = mapped_column(String(2))    # kk, ru, en
    template: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    about: Mapped[str] = mapped_column(String(200), index=True)   # what it tells of: "application:123"
    state: Mapped[Code]                      # pending, sending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_attempt: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# Cases: citizen requests to an office, their history and idempotency keys (komek.cases.requests) --

class CitizenRequest(Base):
    """A request a citizen raises with an office (a courtyard, a road, a bus route): the citizen's
    IIN and the phone told of every change, the category and the place (the region, the address as
    given and normalised for matching, coordinates when given), the text, its state and the due date
    of its answer. A repeat of an earlier request on the same problem names it (`repeats_id`) and
    follows its state; the first request of a problem counts its repeats (`repeat_count`) and how
    often a resolution did not hold (`reopened`). `answered_at` is the first answer (the term's
    end); `resolved_at` the resolution standing now (cleared when reopened)."""
    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_place", "region_code", "category", "place_key"),
                      Index("ix_requests_point", "region_code", "category", "latitude"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    iin: Mapped[Iin] = mapped_column(index=True)
    phone: Mapped[str] = mapped_column(String(16))          # E.164
    language: Mapped[str] = mapped_column(String(2))        # of the notifications: kk, ru, en
    category: Mapped[Code]
    region_code: Mapped[Region] = mapped_column(index=True)
    locality: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(50))
    place_key: Mapped[str] = mapped_column(String(460))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[Code] = mapped_column(index=True)
    submitted: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[dt.date]
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    repeats_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_by_role: Mapped[Code]


class RequestMove(Base):
    """One change of a request's state: who, in which role, when, from and to, and the note.
    Append-only: nothing updates or deletes a row. The first row of a request has no `from_state`."""
    __tablename__ = "request_history"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    from_state: Mapped[Code | None]
    to_state: Mapped[Code]
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[Code]
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)


class RequestKey(Base):
    """An Idempotency-Key an account filed a request with, a digest of the body and the first
    answer: the key replayed gets that answer, the key with another body is refused. The primary key
    makes two concurrent filings with one key one request."""
    __tablename__ = "request_keys"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    response: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Contact(Record):
    """A mobile number a person registered in eGov's mobile citizens database: where an offer's SMS goes."""
    __tablename__ = "contacts"
    iin: Mapped[Iin] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(primary_key=True)
    since: Mapped[dt.date]
    source_system: Mapped[str]


RECORDS: dict[str, type[Record]] = {m.__tablename__: m for m in Record.__subclasses__()}


# Cases: applications for a measure, their decisions and what they assign (komek.cases) ----------

class Application(Base):
    """An application for a support measure for a month: who applies (and who filed it on whose
    behalf), the household and region it belongs to, its state and due date, and what the rules
    gave when it was assessed (eligible, the amount in whole tiyn, the explanation as JSON, the
    rules version). `eligible` is None until assessed, and stays None when the registry cannot
    tell (missing is unknown, never zero). While it needs information the clock stands still from
    `clock_stopped`; `stopped_days` counts the working days it stood."""
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    applicant_iin: Mapped[Iin] = mapped_column(index=True)
    household_id: Mapped[str] = mapped_column(index=True)
    measure: Mapped[str] = mapped_column(String(64))
    month: Mapped[Period]
    region_code: Mapped[Region] = mapped_column(index=True)
    state: Mapped[Code] = mapped_column(index=True)
    submitted: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[dt.date]
    clock_stopped: Mapped[dt.date | None]
    stopped_days: Mapped[int] = mapped_column(Integer, default=0)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_by_role: Mapped[Code]
    assessed: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    rules_version: Mapped[str | None]
    eligible: Mapped[bool | None]
    amount_tiyn: Mapped[int | None] = mapped_column(BigInteger)
    explanation: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(16))       # E.164; none: the applicant is not told by SMS
    language: Mapped[str | None] = mapped_column(String(2))     # of the messages: kk, ru, en
    # What the applicant says the registry has wrong (JSON, as sent): to be checked against documents.
    corrections: Mapped[str | None] = mapped_column(Text)


class Transition(Base):
    """One move of an application from a state to another: who, in which role, when and why.
    Append-only: nothing updates or deletes a row. The first row of an application has no
    `from_state` (it was filed)."""
    __tablename__ = "application_transitions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    from_state: Mapped[Code | None]
    to_state: Mapped[Code]
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[Code]
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)


class Assignment(Base):
    """What an approval assigns: the measure to a person or a household for a period at a monthly
    amount (whole tiyn), with the explanation. A decision changed later ends it (`end_date`,
    `ended`) and an approval again starts another: both are kept."""
    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    measure: Mapped[str] = mapped_column(String(64))
    iin: Mapped[Iin | None] = mapped_column(index=True)       # a person's measure: the member paid
    household_id: Mapped[str] = mapped_column(index=True)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]                        # None: until changed
    monthly_tiyn: Mapped[int] = mapped_column(BigInteger)
    explanation: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """An Idempotency-Key an account sent, with a digest of the body and the first answer: the
    key replayed gets that answer, the key with another body is refused. The primary key makes two
    concurrent requests with one key file one application."""
    __tablename__ = "idempotency_keys"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    response: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# Appointments (komek.cases.appointments) ------------------------------------------------------

LIVE = ("held", "booked")        # the states in which a reservation takes its slot


class Slot(Base):
    """A time that one person can reserve: an MSE examination, a reception with the akim, a
    consultation at an employment centre. `fee_tiyn` is the fee in whole tiyn, none when free.
    Capacity is one: the partial unique index on reservations is what enforces it."""
    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("service", "office", "starts", name="uq_slots_service_office_starts"),
                      CheckConstraint("capacity = 1", name="ck_slots_capacity_one"),
                      CheckConstraint("fee_tiyn IS NULL OR fee_tiyn > 0", name="ck_slots_fee_positive"),
                      Index("ix_slots_service_region_starts", "service", "region_code", "starts"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    service: Mapped[str] = mapped_column(String(40))      # a service of cases/appointments.yaml
    office: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[Region]
    starts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(Integer)
    fee_tiyn: Mapped[int | None] = mapped_column(BigInteger)
    capacity: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FeePayment(Base):
    """A fee paid through a provider for a hold: created, then paid or failed (the provider's
    callback), then refunded when the booking does not stand. (`payments` is the registry's
    table of benefits paid.)"""
    __tablename__ = "fee_payments"
    __table_args__ = (UniqueConstraint("provider", "reference", name="uq_fee_payments_provider_reference"),
                      CheckConstraint("amount_tiyn > 0", name="ck_fee_payments_amount_positive"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    provider: Mapped[Code]
    reference: Mapped[str] = mapped_column(String(64))
    pay_url: Mapped[str] = mapped_column(Text)          # where the person pays, as the provider gave it
    amount_tiyn: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[Code] = mapped_column(index=True)      # created, paid, refunded, failed
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    paid: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    refunded: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    refund_reference: Mapped[str | None] = mapped_column(String(64))


class Reservation(Base):
    """A person's hold on a slot, then its booking, cancellation or expiry. At most one live
    (held or booked) reservation per slot: a partial unique index, so the database refuses a
    second one whatever the code does. A hold past `hold_until` no longer takes the slot: reads
    treat it as expired, and the next hold of the slot (or the sweep) marks it so."""
    __tablename__ = "reservations"
    __table_args__ = (
        Index("ux_reservations_live_slot", "slot_id", unique=True,
              postgresql_where=text("state IN ('held', 'booked')"), sqlite_where=text("state IN ('held', 'booked')")),
        UniqueConstraint("person_iin", "idempotency_key", name="uq_reservations_person_key"),
        UniqueConstraint("payment_id", name="uq_reservations_payment"),
        Index("ix_reservations_state_hold_until", "state", "hold_until"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    person_iin: Mapped[Iin] = mapped_column(index=True)
    state: Mapped[Code]                                   # held, booked, cancelled, expired
    held: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    hold_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))   # SHA-256 of the hold's body: a key reused otherwise is refused
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("fee_payments.id"))
    phone: Mapped[str | None] = mapped_column(String(16))       # E.164; none: the person is not told by SMS
    language: Mapped[str | None] = mapped_column(String(2))     # of the messages: kk, ru, en


class ReservationEvent(Base):
    """A reservation's history, one row per transition (and per payment event), append-only."""
    __tablename__ = "reservation_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[Code]                                   # held, booked, cancelled, expired, paid, honoured, refunded, failed
    state: Mapped[Code]                                   # the reservation's state after it
    actor: Mapped[str] = mapped_column(String(64))        # who: an account, a key, the provider, the sweep
    detail: Mapped[str | None] = mapped_column(Text)


# Cases: appeals to a supervisor against a decision, their history and idempotency keys -----------

class Appeal(Base):
    """An appeal of the applicant against a decision on an application (`decision_id`: the move
    that made it), to a supervisor of the application's region: the grounds, the phone told by SMS
    (when given) and its language, the state and the review's due date; when decided, by whom, the
    outcome, the explanation and, for a decision changed, the monthly amount in whole tiyn set and
    the basis of an amount above the rules'. An appeal past its due date undecided is escalated
    once (`escalated`, `escalated_to`)."""
    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("application_transitions.id"))
    appellant_iin: Mapped[Iin] = mapped_column(index=True)
    region_code: Mapped[Region] = mapped_column(index=True)
    phone: Mapped[str | None] = mapped_column(String(16))         # E.164
    language: Mapped[str] = mapped_column(String(2))
    grounds: Mapped[str] = mapped_column(Text)
    state: Mapped[Code] = mapped_column(index=True)
    filed: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[dt.date]
    decided: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[Code | None]
    supervisor: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[str | None] = mapped_column(Text)
    amount_tiyn: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_to: Mapped[str | None] = mapped_column(String(200))


class AppealMove(Base):
    """One change of an appeal: from, to, who, in which role, when, the note (an escalation keeps
    the state and says to whom). Append-only; the first row of an appeal has no `from_state`."""
    __tablename__ = "appeal_history"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    from_state: Mapped[Code | None]
    to_state: Mapped[Code]
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[Code]
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)


class AppealKey(Base):
    """An Idempotency-Key an account filed an appeal with, a digest of the body and the first answer."""
    __tablename__ = "appeal_keys"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    response: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
# Proactive offers: an event in a newer extract, the entitlement it creates, the SMS and the consent --

OPEN_OFFER = "state IN ('sent', 'not_sent')"


class Offer(Base):
    """A measure offered to a family because a newer extract showed an event (a birth, a disability,
    a fourth child, income below the line): the engine's amount and explanation, the code the family
    replies with, and where it stands. One per event and measure (`event_key`, `measure`); the code
    is unique among open offers. `why_not_sent`: no phone known (the offer is still shown online)."""
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("event_key", "measure", name="uq_offers_event"),
                      Index("uq_offers_open_code", "code", unique=True, postgresql_where=text(OPEN_OFFER),
                            sqlite_where=text(OPEN_OFFER)))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_kind: Mapped[Code]
    event_key: Mapped[str] = mapped_column(String(120))
    event_date: Mapped[dt.date]
    iin: Mapped[Iin] = mapped_column(index=True)                # who is asked (and answers)
    beneficiary_iin: Mapped[Iin | None]                          # a person's measure: the member it pays
    household_id: Mapped[str] = mapped_column(index=True)
    region_code: Mapped[Region]
    measure: Mapped[str] = mapped_column(String(64))
    month: Mapped[Period]
    amount_tiyn: Mapped[int] = mapped_column(BigInteger)
    explanation: Mapped[str] = mapped_column(Text)
    rules_version: Mapped[str]
    extract_as_of: Mapped[dt.date]                               # the extract that showed the event
    code: Mapped[str] = mapped_column(String(6))
    phone: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[Code] = mapped_column(index=True)              # sent, not_sent, accepted, declined, lapsed
    why_not_sent: Mapped[str | None] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reply_by: Mapped[dt.date]
    decided: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))


class Consent(Base):
    """A family's answer to an offer: the purpose consented to (or declined), the text shown, the
    channel (sms, web), the reply as received, when, from which phone or account."""
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    given: Mapped[bool]                                          # True: consented; False: declined
    purpose: Mapped[str] = mapped_column(Text)
    text_shown: Mapped[str] = mapped_column(Text)
    channel: Mapped[Code]
    reply: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    phone: Mapped[str | None] = mapped_column(String(16))
    account: Mapped[str | None] = mapped_column(String(64))


class InboundMessage(Base):
    """Every SMS the gateway passed on: from, text, when, and what it did (accepted, declined,
    unknown_code, expired, other_phone, already_decided, not_understood). The gateway's message id
    is unique: a message sent again is applied once."""
    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    received: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[Code]
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
