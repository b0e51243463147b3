"""Drivers and invariant checks for the tests that prove the system under faults,
load and scale-out (tests/e2e/test_faults_*.py, test_load.py, test_scale_out.py)."""
