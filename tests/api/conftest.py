"""Reports the authorization matrix's total once the run is over."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from tests.api.test_authorization_matrix import RESULTS

    if RESULTS:
        passed = sum(ok for ok, _ in RESULTS)
        total = sum(count for _, count in RESULTS)
        terminalreporter.write_line(f"authorization matrix: {passed} of {total} cases as expected")
