"""The public disclosure log's OpenAPI document, served at ``/openapi.json``.

Written out rather than generated: the log is four read-only routes in a process
kept to its snapshots (no API framework, no schemas of the services behind it).
``tests/unit/test_public_openapi.py`` holds it to the app's routes and to the
entries ``foi_requests.disclosure_log.entry`` makes.
"""
from __future__ import annotations

PREFIX = "/public/disclosure-log"

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_REFERENCE = {"name": "reference", "in": "path", "required": True,
              "description": "The request's reference, as the letter gives it.",
              "schema": {"type": "string", "maxLength": 64}}


def _problem(description: str) -> dict:
    return {"description": description, "content": _PROBLEM}


_LIMITED = {"429": {**_problem("Too many requests from this client address."),
                    "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                "description": "Seconds to wait."}}}}
_FILE_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "The file's SHA-256, quoted."},
    "Content-Disposition": {"schema": {"type": "string"}},
}

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "Public disclosure log",
        "version": "v1",
        "description": (
            "Freedom of Information responses about Live Facial Recognition Community "
            "Impact Assessments, as they were sent: each entry, its letter and its "
            "attachments (redacted disclosure copies with their redaction logs). Open to "
            "anyone, rate-limited per client address; no authentication."),
    },
    "security": [],
    "paths": {
        PREFIX: {"get": {
            "summary": "Sent responses, newest first",
            "operationId": "listEntries",
            "parameters": [
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}},
                {"name": "page_size", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
            ],
            "responses": {
                "200": {"description": "One page of entries.",
                        "headers": {"X-Pagination": {
                            "description": "JSON: total, total_pages, first_page, last_page, "
                                           "page, previous_page, next_page.",
                            "schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}}},
                "422": _problem("page or page_size out of range."),
                **_LIMITED,
            },
        }},
        f"{PREFIX}/{{reference}}": {"get": {
            "summary": "One sent response",
            "operationId": "getEntry",
            "parameters": [_REFERENCE],
            "responses": {
                "200": {"description": "The entry.", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Entry"}}}},
                "404": _problem("No response with this reference was published."),
                **_LIMITED,
            },
        }},
        f"{PREFIX}/{{reference}}/letter": {"get": {
            "summary": "The response letter as sent",
            "description": "DOCX unless `format=pdf` or an Accept header prefers PDF.",
            "operationId": "getLetter",
            "parameters": [_REFERENCE, {"name": "format", "in": "query",
                                        "schema": {"type": "string", "enum": ["docx", "pdf"]}}],
            "responses": {
                "200": {"description": "The letter.", "headers": _FILE_HEADERS, "content": {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                        {"schema": {"type": "string", "contentMediaType": "application/vnd."
                                    "openxmlformats-officedocument.wordprocessingml.document"}},
                    "application/pdf": {"schema": {"type": "string",
                                                   "contentMediaType": "application/pdf"}}}},
                "404": _problem("No response with this reference was published."),
                "422": _problem("format is neither docx nor pdf."),
                "503": {**_problem("The PDF is still being made; the DOCX is there."),
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
                **_LIMITED,
            },
        }},
        f"{PREFIX}/{{reference}}/attachments": {"get": {
            "summary": "The attachments as one zip",
            "description": "Each attached disclosure copy (DOCX and PDF) with its redaction "
                           "log, and index.csv listing every file with its SHA-256.",
            "operationId": "getAttachments",
            "parameters": [_REFERENCE],
            "responses": {
                "200": {"description": "The zip.", "headers": _FILE_HEADERS, "content": {
                    "application/zip": {"schema": {"type": "string",
                                                   "contentMediaType": "application/zip"}}}},
                "404": _problem("No response with this reference was published."),
                **_LIMITED,
            },
        }},
    },
    "components": {"schemas": {
        "Entry": {
            "type": "object",
            "required": ["reference", "received_on", "sent_on", "questions", "exemptions",
                         "attachments", "links"],
            "additionalProperties": False,
            "properties": {
                "reference": {"type": "string"},
                "received_on": {"type": "string", "format": "date"},
                "sent_on": {"type": "string", "format": "date"},
                "questions": {"type": "array", "items": {
                    "type": "object", "required": ["number", "text"],
                    "additionalProperties": False,
                    "properties": {"number": {"type": "integer"},
                                   "text": {"type": "string",
                                            "description": "As asked, redacted as the letter."}}}},
                "exemptions": {"type": "array", "items": {"type": "string"},
                               "description": "The sections of the Act the response relies on."},
                "attachments": {"type": "integer", "minimum": 0},
                "links": {"type": "object", "required": ["self", "letter", "attachments"],
                          "additionalProperties": False,
                          "properties": {k: {"type": "string"}
                                         for k in ("self", "letter", "attachments")}},
            },
        },
        "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail"],
            "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                           "status": {"type": "integer"}, "detail": {"type": "string"}},
        },
    }},
}
