"""SDTM datasets as plain data: variables with label, type and core designation, and rows.

Variable names, labels, types and cores of the trial design domains follow SDTMIG 3.4 section 7 (TA 7.2.1,
TE 7.2.2, TV 7.3.1, TI 7.4.1, TS 7.4.2). ``Req`` variables must be present and never null, ``Exp`` variables
must be present but may be null, ``Perm`` variables may be left out (SDTMIG 3.4 section 4.1.5).
Clinical-data domains (DM, AE, EX, ...) are added by giving their variable lists the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Value = str | int | float | None


@dataclass(frozen=True)
class Variable:
    """An SDTM variable: ``kind`` is ``Char`` or ``Num``; ``core`` is ``Req``, ``Exp`` or ``Perm``."""

    name: str
    label: str
    kind: str = "Char"
    core: str = "Req"


@dataclass(frozen=True)
class Dataset:
    """A dataset: name (the domain code), label, variables in order and rows (variable name -> value)."""

    name: str
    label: str
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, Value], ...] = field(default_factory=tuple)

    def column(self, name: str) -> list[Value]:
        """The values of one variable, row by row (``None`` where a row has no value)."""
        return [row.get(name) for row in self.rows]

    def variable(self, name: str) -> Variable:
        """The variable called ``name`` (``KeyError`` if the dataset has none)."""
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)


def _v(name: str, label: str, core: str = "Req", kind: str = "Char") -> Variable:
    return Variable(name, label, kind, core)


_IDENTIFIERS = (_v("STUDYID", "Study Identifier"), _v("DOMAIN", "Domain Abbreviation"))

DOMAIN_VARIABLES: dict[str, tuple[Variable, ...]] = {
    "TS": (*_IDENTIFIERS, _v("TSSEQ", "Sequence Number", kind="Num"), _v("TSGRPID", "Group ID", "Perm"),
           _v("TSPARMCD", "Trial Summary Parameter Short Name"), _v("TSPARM", "Trial Summary Parameter"),
           _v("TSVAL", "Parameter Value", "Exp"), _v("TSVALNF", "Parameter Null Flavor", "Perm"),
           _v("TSVALCD", "Parameter Value Code", "Exp"),
           _v("TSVCDREF", "Name of the Reference Terminology", "Exp"),
           _v("TSVCDVER", "Version of the Reference Terminology", "Exp")),
    "TA": (*_IDENTIFIERS, _v("ARMCD", "Planned Arm Code"), _v("ARM", "Description of Planned Arm"),
           _v("TAETORD", "Planned Order of Element within Arm", kind="Num"), _v("ETCD", "Element Code"),
           _v("ELEMENT", "Description of Element", "Perm"), _v("TABRANCH", "Branch", "Exp"),
           _v("TATRANS", "Transition Rule", "Exp"), _v("EPOCH", "Epoch")),
    "TE": (*_IDENTIFIERS, _v("ETCD", "Element Code"), _v("ELEMENT", "Description of Element"),
           _v("TESTRL", "Rule for Start of Element"), _v("TEENRL", "Rule for End of Element", "Perm"),
           _v("TEDUR", "Planned Duration of Element", "Perm")),
    "TV": (*_IDENTIFIERS, _v("VISITNUM", "Visit Number", kind="Num"), _v("VISIT", "Visit Name", "Perm"),
           _v("VISITDY", "Planned Study Day of Visit", "Perm", "Num"), _v("ARMCD", "Planned Arm Code", "Exp"),
           _v("ARM", "Description of Planned Arm", "Perm"), _v("TVSTRL", "Visit Start Rule"),
           _v("TVENRL", "Visit End Rule", "Perm")),
    "TI": (*_IDENTIFIERS, _v("IETESTCD", "Incl/Excl Criterion Short Name"),
           _v("IETEST", "Inclusion/Exclusion Criterion"), _v("IECAT", "Inclusion/Exclusion Category"),
           _v("IESCAT", "Inclusion/Exclusion Subcategory", "Perm"),
           _v("TIRL", "Inclusion/Exclusion Criterion Rules", "Perm"),
           _v("TIVERS", "Protocol Criteria Versions", "Perm")),
}
"""The SDTMIG 3.4 variables of each trial design domain, in the standard order."""

DOMAIN_LABELS: dict[str, str] = {
    "TS": "Trial Summary",
    "TA": "Trial Arms",
    "TE": "Trial Elements",
    "TV": "Trial Visits",
    "TI": "Trial Inclusion/Exclusion Criteria",
}

DOMAIN_KEYS: dict[str, tuple[str, ...]] = {
    "TS": ("TSPARMCD", "TSSEQ"),
    "TA": ("ARMCD", "TAETORD"),
    "TE": ("ETCD",),
    "TV": ("VISITNUM", "ARMCD"),
    "TI": ("IETESTCD",),
}
"""Natural keys (SDTMIG 3.4 section 3.2.1.1 examples): no two rows may share them."""

MAX_LENGTHS: dict[str, int] = {"ARMCD": 20, "ETCD": 8, "TSPARMCD": 8, "TSPARM": 40, "IETESTCD": 8}
"""Variables with a length limit below the 200 of XPT v5 (SDTMIG 3.4 sections 4.2.1 and 7)."""
