"""Outcome statistics of LFR deployments and the historic record.

``service`` computes the alert statistics and the deployment grid from the
approved post-deployment reviews, ``suppression`` hides small numbers, ``chart``
draws them, ``grid`` reads and writes the published deployment grid (pure),
``importer`` brings historic deployments in (``cli``: ``cia import-deployments``);
``models``, ``schemas`` and ``views`` as in every feature.
"""
