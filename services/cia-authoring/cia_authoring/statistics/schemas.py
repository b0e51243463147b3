"""Request and response schemas of the statistics endpoints (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_authoring.disclosure.schemas import RangeQuerySchema
from cia_authoring.statistics.service import FIGURES, GROUPINGS, SETTINGS

class AlertsQuerySchema(RangeQuerySchema):
    group_by = fields.String(load_default="ic_code", validate=validate.OneOf(GROUPINGS))
    format = fields.String(validate=validate.OneOf(["json", "csv", "png"]),
                           metadata={"description": "Or Accept: text/csv / image/png."})


_CELL = {"description": 'A count, or {"suppressed": true} (CSV: [c]).',
         "oneOf": [{"type": "integer"},
                   {"type": "object", "properties": {"suppressed": {"type": "boolean"}}}]}


class SuppressionSchema(Schema):
    threshold = fields.Integer()
    rule = fields.String()


class AlertTotalsSchema(Schema):
    true_alerts = fields.Raw(metadata=_CELL)
    true_alert_engagements = fields.Raw(metadata=_CELL)
    false_alerts = fields.Raw(metadata=_CELL)
    false_alert_engagements = fields.Raw(metadata=_CELL)


class AlertRowSchema(Schema):
    group = fields.String()
    label = fields.String()
    true_alerts = fields.Raw(metadata=_CELL)
    true_alert_engagements = fields.Raw(metadata=_CELL)
    false_alerts = fields.Raw(metadata=_CELL)
    false_alert_engagements = fields.Raw(metadata=_CELL)


_NOT_RECORDED = ("Per measure, the deployments that did not record it (a blank cell in an "
                 "imported grid): left out of the totals, never counted as 0.")


class NotRecordedSchema(Schema):
    true_alerts = fields.Integer()
    true_alert_engagements = fields.Integer()
    false_alerts = fields.Integer()
    false_alert_engagements = fields.Integer()


FigureTotalsSchema = Schema.from_dict({n: fields.Integer() for n in FIGURES},
                                      name="FigureTotals")
FigureNotRecordedSchema = Schema.from_dict({n: fields.Integer() for n in (*FIGURES, *SETTINGS)},
                                           name="FigureNotRecorded")


class FiguresSchema(Schema):
    deployments = fields.Integer(metadata={"description": "Deployments with an outcome record."})
    totals = fields.Nested(FigureTotalsSchema, metadata={
        "description": "Each grid figure summed over the deployments that recorded it "
                       "(duration in minutes)."})
    not_recorded = fields.Nested(FigureNotRecordedSchema, metadata={"description": _NOT_RECORDED})


class AlertStatisticsSchema(Schema):
    from_ = fields.String(attribute="from", data_key="from", allow_none=True)
    to = fields.String(allow_none=True)
    group_by = fields.String(metadata={"enum": list(GROUPINGS)})
    measures = fields.List(fields.String())
    deployments = fields.Integer(metadata={"description": "Deployments counted (with a per-IC breakdown)."})
    deployments_without_ic_breakdown = fields.Integer()
    not_recorded = fields.Nested(NotRecordedSchema, metadata={"description": _NOT_RECORDED})
    suppression = fields.Nested(SuppressionSchema)
    rows = fields.List(fields.Nested(AlertRowSchema))
    total = fields.Nested(AlertTotalsSchema)
    figures = fields.Nested(FiguresSchema, metadata={
        "description": "The deployment grid's own figures (faces seen, alerts, outcomes, "
                       "duration) over all deployments in the range, whether or not they have a "
                       "per-IC breakdown; published per deployment, so not suppressed."})


class DeploymentsQuerySchema(RangeQuerySchema):
    format = fields.String(validate=validate.OneOf(["csv", "json"]),
                           metadata={"description": "json: the same as Accept: application/json."})


class DeploymentSummarySchema(FiguresSchema):
    from_ = fields.String(attribute="from", data_key="from", allow_none=True)
    to = fields.String(allow_none=True)
    columns = fields.List(fields.String(), metadata={"description": "The grid's columns, in order."})
    rows = fields.List(fields.Dict(keys=fields.String()), metadata={
        "description": "One object per deployment, keyed by column; a figure not recorded is "
                       "null."})
