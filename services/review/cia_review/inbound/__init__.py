"""Decisions signed by reviewers' own tooling (Standard Webhooks)."""
