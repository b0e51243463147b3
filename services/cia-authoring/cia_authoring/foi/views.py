"""/api/v1/disclosures/rules (censor rules) and /api/v1/statistics (outcome
statistics): thin views over the FOI service functions."""
from __future__ import annotations

from flask import Flask, Response, current_app
from flask_smorest import Api, Blueprint

from cia_schemas.disclosure import EXEMPTIONS, MARKERS

from ..api.common import PROBLEM_JSON, actor, guarded, negotiate, unit_of_work
from ..api.schemas import ProblemSchema
from ..disclosure.model import detectors_for
from . import rules, statistics
from .schemas import (AlertsQuerySchema, AlertStatisticsSchema, CensorRuleCreateSchema,
                      CensorRulePatchSchema, CensorRuleSchema, DeploymentsQuerySchema,
                      DeploymentSummarySchema, RuleQuerySchema)

FOI = ("foi",)
FOI_READERS = ("foi", "admin")
CSV = "text/csv"
PNG = "image/png"

rules_blp = Blueprint(
    "censor_rules", __name__, url_prefix="/api/v1/disclosures/rules",
    description="Censor rules: text the FOI team withholds from disclosure copies on top of the "
                "schema's redactions, for one CIA or globally. Adding or changing a rule makes the "
                "authoring worker re-render the affected copies (DOCX and PDF). Role foi writes; "
                "foi and admin read.")

stats_blp = Blueprint(
    "statistics", __name__, url_prefix="/api/v1/statistics",
    description="Outcome statistics from the approved post-deployment reviews (the latest approved "
                "version of each CIA). A figure a deployment did not record is left out of the "
                "totals and counted in not_recorded. Roles foi and admin.")


def present_rule(rule, copies_to_rerender: int | None = None) -> dict:
    out = {k: getattr(rule, k) for k in (
        "id", "cia_id", "kind", "pattern", "case_sensitive", "replacement", "exemption", "reason",
        "active", "revision", "created_at", "updated_at", "history")}
    out["scope"] = "cia" if rule.cia_id else "global"
    out["shown_as"] = rule.replacement or MARKERS[rule.exemption]
    out["exemption_cited"] = EXEMPTIONS[rule.exemption]
    out["created_by"] = {"sub": rule.created_by_sub, "name": rule.created_by_name}
    out["updated_by"] = {"sub": rule.updated_by_sub, "name": rule.updated_by_name}
    if copies_to_rerender is not None:
        out["copies_to_rerender"] = copies_to_rerender
    return out


@rules_blp.route("", methods=["POST"])
@guarded(rules_blp, *FOI)
@rules_blp.arguments(CensorRuleCreateSchema)
@rules_blp.response(201, CensorRuleSchema)
def create_rule(data):
    """Add a censor rule; the worker re-renders the copies it changes."""
    with unit_of_work() as uow:
        rule = rules.create(uow, data, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return (present_rule(rule, affected), 201,
                {"Location": f"/api/v1/disclosures/rules/{rule.id}"})


@rules_blp.route("", methods=["GET"])
@guarded(rules_blp, *FOI_READERS)
@rules_blp.arguments(RuleQuerySchema, location="query")
@rules_blp.response(200, CensorRuleSchema(many=True))
def list_rules(query):
    """Censor rules, oldest first (the order they apply in)."""
    with unit_of_work() as uow:
        return [present_rule(r) for r in rules.list_(uow.session, **query)]


@rules_blp.route("/<string:rule_id>", methods=["GET"])
@guarded(rules_blp, *FOI_READERS)
@rules_blp.response(200, CensorRuleSchema)
def get_rule(rule_id):
    """One censor rule, with its history (who changed what, when)."""
    with unit_of_work() as uow:
        return present_rule(rules.get(uow.session, rule_id))


@rules_blp.route("/<string:rule_id>", methods=["PATCH"])
@guarded(rules_blp, *FOI)
@rules_blp.arguments(CensorRulePatchSchema)
@rules_blp.response(200, CensorRuleSchema)
def change_rule(data, rule_id):
    """Change a censor rule (``active: false`` withdraws it); the worker re-renders."""
    with unit_of_work() as uow:
        rule = rules.update(uow, rule_id, data, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return present_rule(rule, affected)


@rules_blp.route("/<string:rule_id>", methods=["DELETE"])
@guarded(rules_blp, *FOI)
@rules_blp.response(200, CensorRuleSchema)
def withdraw_rule(rule_id):
    """Withdraw a censor rule: kept with its history, no longer applied; the worker re-renders."""
    with unit_of_work() as uow:
        rule = rules.withdraw(uow, rule_id, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return present_rule(rule, affected)


REF = "#/components/schemas/"
BINARY = {"type": "string", "format": "binary"}


def ok_doc(description: str, content: dict, headers: dict | None = None) -> dict:
    """The 200 answer of an endpoint that speaks several media types, for ``blp.doc``
    (a content map given this way replaces the one ``blp.response`` would make)."""
    answer = {"description": description,
              "content": {media: {"schema": schema} for media, schema in content.items()}}
    if headers:
        answer["headers"] = headers
    return {"responses": {"200": answer}}


_ALERTS_DOC = ok_doc(
    "The statistics as JSON, CSV (suppressed cells: [c]) or a PNG chart.",
    {"application/json": {"$ref": REF + "AlertStatistics"}, CSV: {"type": "string"}, PNG: BINARY})


@stats_blp.route("/alerts", methods=["GET"])
@guarded(stats_blp, *FOI_READERS)
@stats_blp.arguments(AlertsQuerySchema, location="query")
@stats_blp.response(200, AlertStatisticsSchema)
@stats_blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                        description="None of JSON, CSV, PNG is acceptable.")
@stats_blp.doc(**_ALERTS_DOC)
def alert_statistics(query):
    """True alerts, true-alert engagements, false alerts and false-alert engagements by IC code,
    year or borough, with small numbers suppressed.

    Counts from 1 to ``STATS_SUPPRESSION_THRESHOLD`` (default 4) are suppressed, and further
    cells where needed so that none can be worked out from a total (see ``suppression.rule`` in
    the answer). JSON by default; CSV with ``Accept: text/csv`` or ``format=csv`` (suppressed
    cells: ``[c]``); a PNG chart with ``format=png`` or ``Accept: image/png``.

    A deployment without a per-IC breakdown (a historic record whose grid had none) is in no
    cell: ``not_recorded`` counts it per measure. ``figures`` totals the grid's own figures over
    the deployments that recorded them and says per figure how many did not (a blank cell of an
    imported grid is not recorded, never 0).
    """
    media = negotiate(["application/json", CSV, PNG], query.get("format"),
                      {"json": "application/json", "csv": CSV, "png": PNG})
    with unit_of_work() as uow:
        result = statistics.alerts(uow.session, group_by=query["group_by"],
                                   threshold_=statistics.threshold(current_app.config),
                                   start_from=query.get("from_"), start_to=query.get("to"))
    name = f"lfr-alerts-by-{query['group_by']}"
    if media == CSV:
        return Response(statistics.alerts_csv(result), mimetype=CSV, headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'})
    if media == PNG:
        return Response(statistics.alerts_png(result), mimetype=PNG, headers={
            "Content-Disposition": f'inline; filename="{name}.png"'})
    return result


@stats_blp.route("/deployments", methods=["GET"])
@guarded(stats_blp, *FOI_READERS)
@stats_blp.arguments(DeploymentsQuerySchema, location="query")
@stats_blp.response(200, DeploymentSummarySchema)
@stats_blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                        description="Neither CSV nor JSON is acceptable.")
@stats_blp.doc(**ok_doc(
    "CSV (default): one row per deployment, the columns of the MPS deployment grid (then "
    "reference, borough, start and end time); a figure not recorded is a blank cell. JSON: the "
    "same rows (blank: null) with the totals over recorded figures and, per measure, "
    "not_recorded, the number of deployments without a figure.",
    {CSV: {"type": "string"}, "application/json": {"$ref": REF + "DeploymentSummary"}}))
def deployment_statistics(query):
    """Per-deployment outcomes in the deployment-grid layout, the same layout
    ``cia import-deployments`` reads back.

    CSV by default; JSON with ``format=json`` or ``Accept: application/json``, adding the
    totals of each figure over the deployments that recorded it and ``not_recorded`` counts
    (a figure not recorded is never counted as 0).
    """
    media = negotiate([CSV, "application/json"], query.get("format"),
                      {"csv": CSV, "json": "application/json"})
    with unit_of_work() as uow:
        if media == CSV:
            body = statistics.deployments_csv(uow.session, query.get("from_"), query.get("to"),
                                               detectors_for(current_app.config))
        else:
            return statistics.deployments_summary(uow.session, query.get("from_"),
                                                  query.get("to"), detectors_for(current_app.config))
    return Response(body, mimetype=CSV, headers={
        "Content-Disposition": 'attachment; filename="lfr-deployments.csv"'})


def register(app: Flask, api: Api) -> None:
    statistics.threshold(app.config)  # a bad threshold stops the service at start-up
    api.register_blueprint(rules_blp)
    api.register_blueprint(stats_blp)
