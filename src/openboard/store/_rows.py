"""Rows read back as openboard's records, and records written as rows."""

from sqlalchemy import RowMapping

from openboard.domain import (
    FailureKind,
    ModelType,
    Origin,
    PinKind,
    Precision,
    Status,
    TaskScore,
    WeightType,
)
from openboard.store._records import EvalRequest, Event
from openboard.store._time import as_utc


def request_of(row: RowMapping) -> EvalRequest:
    optional_time = {
        key: as_utc(row[key]) if row[key] is not None else None
        for key in (
            "job_start_time",
            "finished_time",
            "lease_expires_at",
            "heartbeat_at",
            "availability_checked_at",
        )
    }
    return EvalRequest(
        id=row["id"],
        model=row["model"],
        base_model=row["base_model"],
        base_revision=row["base_revision"],
        requested_revision=row["requested_revision"],
        revision=row["revision"],
        pin=PinKind(row["pin"]),
        precision=Precision(row["precision"]),
        weight_type=WeightType(row["weight_type"]),
        model_type=ModelType(row["model_type"]),
        use_chat_template=bool(row["use_chat_template"]),
        params=row["params"],
        architectures=list(row["architectures"] or []),
        status=Status(row["status"]),
        sender=row["sender"],
        submitted_time=as_utc(row["submitted_time"]),
        suite=row["suite"],
        job_id=row["job_id"],
        attempts=row["attempts"],
        uncounted_attempts=row["uncounted_attempts"],
        worker=row["worker"],
        progress_done=row["progress_done"],
        progress_total=row["progress_total"],
        failure_reason=row["failure_reason"],
        failure_kind=FailureKind(row["failure_kind"]) if row["failure_kind"] else None,
        log_tail=row["log_tail"],
        average=row["average"],
        eval_seconds=row["eval_seconds"],
        co2_kg=row["co2_kg"],
        eval_backend=row["eval_backend"],
        eval_tokens=row["eval_tokens"],
        tokens_per_second=row["tokens_per_second"],
        device_hours=row["device_hours"],
        gpu_hours=row["gpu_hours"],
        license=row["license"],
        merged=bool(row["merged"]),
        moe=bool(row["moe"]),
        priority=row["priority"],
        hidden=bool(row["hidden"]),
        available=None if row["available"] is None else bool(row["available"]),
        unavailable_reason=row["unavailable_reason"],
        scorer=row["scorer"],
        eval_limit=row["eval_limit"],
        data_modified=bool(row["data_modified"]),
        origin=Origin(row["origin"]),
        contamination_check=(
            None if row["contamination_check"] is None else bool(row["contamination_check"])
        ),
        **optional_time,
    )


def task_score_of(row: RowMapping) -> TaskScore:
    return TaskScore(
        benchmark=row["benchmark"],
        task=row["task"],
        metric=row["metric"],
        raw=row["raw"],
        stderr=row["stderr"],
        num_choices=row["num_choices"],
        normalized=row["normalized"],
        samples=row["samples"],
        extra=dict(row["metrics"] or {}),
    )


def event_of(row: RowMapping) -> Event:
    return Event(
        request_id=row["request_id"],
        at=as_utc(row["at"]),
        actor=row["actor"],
        kind=row["kind"],
        from_status=Status(row["from_status"]) if row["from_status"] else None,
        to_status=Status(row["to_status"]) if row["to_status"] else None,
        message=row["message"],
        attempt=row["attempt"],
    )
