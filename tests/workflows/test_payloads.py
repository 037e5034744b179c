"""Closed sets cross the workflow boundary as enums, and are written as their plain values:
the payloads are the bytes the strings were, so saved histories and running workflows agree."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.contracts import NextStepInput, RecordInput, SendResult, SwitchInput, SwitchReason
from domain.enums import DeliveryStatus, EnrollmentState, HistoryAction
from workers.converter import DATA_CONVERTER

CONVERTER = DATA_CONVERTER.payload_converter
AS_OF = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)


def test_an_enum_in_a_payload_is_written_as_its_value() -> None:
    result = SendResult(delivery_id=7, status=DeliveryStatus.SENT)

    [payload] = CONVERTER.to_payloads([result])

    assert payload.data == (
        b'{"delivery_id":7,"status":"sent","provider":null,"provider_message_id":null,"note":""}'
    )


def test_a_value_written_as_a_string_is_read_back_as_the_enum() -> None:
    [payload] = CONVERTER.to_payloads([{"enrollment_id": 3, "state": "paused", "next_step_at": None}])

    [request] = CONVERTER.from_payloads([payload], [NextStepInput])

    assert request == NextStepInput(enrollment_id=3, state=EnrollmentState.PAUSED, next_step_at=None)
    assert request.state is EnrollmentState.PAUSED


def test_contracts_round_trip_with_their_enums() -> None:
    for value in (
        RecordInput(enrollment_id=1, action=HistoryAction.STEPS_MISSED, description="d", as_of=AS_OF),
        SwitchInput(
            enrollment_id=1, definition_id=2, reason=SwitchReason.CONTINUE_WITH, actor="a", as_of=AS_OF
        ),
    ):
        [payload] = CONVERTER.to_payloads([value])
        assert CONVERTER.from_payloads([payload], [type(value)]) == [value]
