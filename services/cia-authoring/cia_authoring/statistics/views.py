"""/api/v1/statistics: outcome statistics (JSON, CSV or a PNG chart) and the
deployment grid, thin views over ``statistics.service``."""
from __future__ import annotations

from flask import Flask, Response, current_app
from flask_smorest import Api, Blueprint

from cia_common.web.kit import guarded, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_common.web.kit import BINARY, CSV, PNG, REF, inline_png, ok_doc
from cia_schemas.errors import ProblemSchema
from cia_authoring.statistics import service as statistics
from cia_authoring.statistics.schemas import (AlertsQuerySchema, AlertStatisticsSchema,
                                              DeploymentsQuerySchema, DeploymentSummarySchema)

FOI_READERS = ("foi", "admin")

stats_blp = Blueprint(
    "statistics", __name__, url_prefix="/api/v1/statistics",
    description="Outcome statistics from the approved post-deployment reviews (the latest approved "
                "version of each CIA). A figure a deployment did not record is left out of the "
                "totals and counted in not_recorded. Roles foi and admin.")


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
        return inline_png(statistics.alerts_png(result), f"{name}.png")
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
                                               current_app.config)
        else:
            return statistics.deployments_summary(uow.session, query.get("from_"),
                                                  query.get("to"), current_app.config)
    return Response(body, mimetype=CSV, headers={
        "Content-Disposition": 'attachment; filename="lfr-deployments.csv"'})


def register(app: Flask, api: Api) -> None:
    statistics.threshold(app.config)  # a bad threshold stops the service at start-up
    api.register_blueprint(stats_blp)
