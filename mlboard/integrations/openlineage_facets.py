"""The facets of an OpenLineage run event mlboard reads: parent run, error message, row counts.

Problems in these optional facets are warnings, never errors: the facet stays in the event's
`facets` as received but is not interpreted (a parent facet without `run.runId`, a `rowCount`
that is not a non-negative integer). Unknown (vendor) facets are normal and kept verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlboard.integrations.openlineage_checks import field, kind, text_field, uuid_field

__all__ = ["ParentRef", "error_message_of", "facets_of", "parent_of", "rows_out_of"]

_MAX_ROWS = 2**63 - 1  # rows_out goes into a 64-bit INTEGER column


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The run this run belongs to (`run.facets.parent`): a task's DAG run, a Spark app run."""

    namespace: str
    name: str
    run_id: str


def facets_of(container: dict | None, name: str, warnings: list[str]) -> dict:
    """The `facets` object of `run` or `job`; {} (and a warning) when it is not an object."""
    facets = field(container, "facets")
    if facets is None:
        return {}
    if not isinstance(facets, dict):
        warnings.append(f"{name} is {kind(facets)}, not an object; ignored")
        return {}
    return facets


def parent_of(run_facets: dict, run_id: str, warnings: list[str]) -> ParentRef | None:
    """The parent facet as a ParentRef; None (and a warning) when it is incomplete or names
    the run itself."""
    facet = run_facets.get("parent")
    if facet is None:
        return None
    name = "run.facets.parent"
    problems: list[str] = []
    parent_id = uuid_field(field(field(facet, "run"), "runId"), f"{name}.run.runId", problems)
    job = field(facet, "job")
    namespace = text_field(field(job, "namespace"), f"{name}.job.namespace", problems)
    job_name = text_field(field(job, "name"), f"{name}.job.name", problems)
    if parent_id == run_id:
        problems.append(f"{name} names the run itself")
    if problems:
        warnings.append("; ".join(problems) + "; parent ignored")
        return None
    assert parent_id is not None and namespace is not None and job_name is not None
    return ParentRef(namespace=namespace, name=job_name, run_id=parent_id)


def error_message_of(run_facets: dict, warnings: list[str]) -> str | None:
    """`run.facets.errorMessage.message`, when it is a string."""
    facet = run_facets.get("errorMessage")
    if facet is None:
        return None
    message = field(facet, "message")
    if isinstance(message, str):
        return message
    warnings.append("run.facets.errorMessage has no string message; ignored")
    return None


def rows_out_of(outputs: object, warnings: list[str]) -> int | None:
    """The rows written: the sum of the output datasets' `outputStatistics.rowCount`, each
    an integer from 0 to 2**63-1 (the store's column), the sum too."""
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        warnings.append(f"outputs is {kind(outputs)}, not an array; ignored")
        return None
    total: int | None = None
    for i, dataset in enumerate(outputs):
        stats = field(field(dataset, "outputFacets"), "outputStatistics")
        count = field(stats, "rowCount")
        if count is None:
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= _MAX_ROWS:
            where = f"outputs[{i}].outputFacets.outputStatistics.rowCount"
            warnings.append(f"{where} is not an integer from 0 to 2**63-1; ignored")
            continue
        total = count if total is None else total + count
    if total is not None and total > _MAX_ROWS:
        warnings.append("outputs' rowCount sum exceeds 2**63-1; ignored")
        return None
    return total
