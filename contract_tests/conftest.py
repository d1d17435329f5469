"""The suite's pytest wiring: options, the target, and the session-wide helpers."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Generator, Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from contract_tests import contract, fuzzing, preflight, rules
from contract_tests import options as opts
from contract_tests.api import Api
from contract_tests.budget import TIME_BOXES, RunBudget
from contract_tests.receiver import Receiver, receiving
from contract_tests.target import Target, start_mock

OPTIONS = pytest.StashKey[opts.Options]()
BUDGET = pytest.StashKey[RunBudget]()
SCRATCH = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    opts.add_to(parser)


def pytest_configure(config: pytest.Config) -> None:
    try:
        options = opts.Options.from_pytest(config)
    except opts.OptionError as exc:
        raise pytest.UsageError(str(exc)) from exc
    if options.base_url:  # `contract-tests` checked already; plain `pytest contract_tests` not
        try:
            preflight.check(options.base_url)
        except preflight.TargetError as exc:
            pytest.exit(preflight.line(exc), returncode=preflight.UNREACHABLE)
    config.stash[OPTIONS] = options
    config.stash[BUDGET] = RunBudget(options.max_runs)
    opts.install(options)
    contract.use(options.spec)
    # hypothesis writes caches under ./.hypothesis even without a database: keep the
    # user's working directory clean (removed again in pytest_unconfigure).
    scratch = tempfile.mkdtemp(prefix="contract-hypothesis-")
    config.stash[SCRATCH] = scratch
    set_hypothesis_home_dir(scratch)
    # Every example talks to a live server: no deadline, no shrinking (each shrink step
    # would create more runs), no example database (each target is different).
    settings.register_profile(
        "contract",
        deadline=None,
        database=None,
        derandomize=options.effort.derandomize,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    settings.load_profile("contract")


def pytest_unconfigure(config: pytest.Config) -> None:
    scratch = config.stash.get(SCRATCH, None)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A real backend's runs take their real time: bound each test by --run-timeout instead
    # of the project's 120 s pytest-timeout.
    bound = max(120.0, 10 * config.stash[OPTIONS].run_timeout)
    for item in items:
        item.add_marker(pytest.mark.timeout(bound))
        _name_the_operation(item)


def _name_the_operation(item: pytest.Item) -> None:
    """schemathesis names each generated item `test_x[POST /v1/...]`, but under pytest 9
    its node id (what -v, JUnit and --deselect show) stays `test_x`: ten identical ids."""
    label = getattr(item, "operation_label", None)
    if label and item.nodeid.endswith("::" + item.originalname):  # type: ignore[attr-defined]
        item._id = item._id.with_params(label)  # pytest 9's structured node id


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """One report per test with every rule it broke (see rules.Findings)."""
    findings = rules.Findings()
    with rules.collecting(findings):
        try:
            yield
        except rules.ContractViolation as violation:
            findings.add(violation)
    findings.raise_any()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    broken = call.excinfo.value if call.excinfo is not None else None
    if report.failed and isinstance(broken, rules.BrokenRules | rules.ContractViolation):
        # The violation says it all (rule, spec place, problem, evidence, curl); a traceback
        # through the suite's own code would only bury it. JUnit's message is its first lines.
        whole = broken if isinstance(broken, rules.BrokenRules) else rules.BrokenRules([broken])
        report.longrepr = whole.report()
    return report


def pytest_report_header(config: pytest.Config) -> list[str]:
    options = config.stash[OPTIONS]
    where = options.base_url or "this project's mock, started on a free 127.0.0.1 port"
    return [
        f"contract suite: checking {where}",
        f"  profile {options.profile}, workflow {options.workflow_id}, "
        f"at most {options.max_runs} runs, waits bounded by {options.run_timeout:g} s",
    ]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    budget = terminalreporter.config.stash[BUDGET]
    terminalreporter.write_line(
        f"contract suite: {budget.used} runs created, counting only creates answered 2xx "
        f"(max {budget.limit})"
    )
    for name, box in TIME_BOXES.items():
        if box.held:
            terminalreporter.write_line(
                f"contract suite: {name}: {box.ran} examples, {box.held} held back "
                f"(the profile's {box.seconds:g} s time box was spent)"
            )
    stateful = sys.modules.get("contract_tests.test_stateful")
    for reason in getattr(stateful, "CUT_SHORT", []):
        terminalreporter.write_line(
            f"contract suite: the stateful scenarios stopped early ({reason}): hypothesis' "
            "draws followed the backend's varying answers; the scenarios run were judged"
        )
    held = fuzzing.SYNC_RUNS
    if held.held:
        terminalreporter.write_line(
            f"contract suite: conformance sent {held.sent} valid sync creates and held back "
            f"{held.held} (each waits for a whole run; the profile sends "
            f"{terminalreporter.config.stash[OPTIONS].effort.sync_runs})"
        )


@pytest.fixture(scope="session")
def options(pytestconfig: pytest.Config) -> opts.Options:
    return pytestconfig.stash[OPTIONS]


@pytest.fixture(scope="session")
def target(options: opts.Options, pytestconfig: pytest.Config) -> Iterator[Target]:
    if options.base_url:
        yield Target(options.base_url)
        return
    started = start_mock(spec=options.spec)
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        pid = started.process.pid if started.process else "?"
        reporter.write_line(f"\ncontract suite: started the mock at {started.base_url} (pid {pid})")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def api(target: Target, options: opts.Options, pytestconfig: pytest.Config) -> Iterator[Api]:
    # Keys the user gave are never printed: curl lines read them from the variables the suite
    # takes them from. Keys the suite made up (derived, default) are printed as they are.
    client = Api(
        target.base_url,
        options.api_key,
        secrets=options.secrets,
        budget=pytestconfig.stash[BUDGET],
        workflow_id=options.workflow_id,
        run_input=options.run_input,
        timeout=options.run_timeout,
        sends_prefer=options.mock_prefer,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def receiver(options: opts.Options) -> Iterator[Receiver]:
    with receiving(options.callback_host, options.callback_port) as found:
        yield found
