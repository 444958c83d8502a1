"""``mexards demo``: the protocol summary and the screening of the bundled example patients."""

from __future__ import annotations

from typer.testing import CliRunner

from mexards.cli.main import app

runner = CliRunner()


def test_the_demo_summarises_mexards_and_screens_the_example_patients() -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "NCT04602104" in out and "Phase 1" in out and "Outcome measures" in out
    assert "MX-001" in out and "MX-007" in out
    assert "2 eligible, 4 ineligible, 1 incomplete" in out
    assert "I2 NOT_MET" in out and "E10 MET" in out


def test_the_demo_runs_for_another_built_in_protocol() -> None:
    result = runner.invoke(app, ["demo", "--protocol", "NCT01902082"])
    assert result.exit_code == 0, result.output
    assert "AD-02" in result.stdout and "1 eligible, 1 ineligible, 0 incomplete" in result.stdout


def test_the_demo_with_details_prints_every_criterion() -> None:
    result = runner.invoke(app, ["demo", "--details", "-p", "NCT04313647"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("I1 MET") == 2  # one line per patient, both attested healthy
