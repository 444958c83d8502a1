"""Adverse-event coding for the results: the MedDRA system organ class of each CTCAE v5.0 term.

:data:`SYSTEM_ORGAN_CLASS` gives the CTCAE v5.0 SOC of each term (NCI CTCAE v5.0 is organised by MedDRA SOC;
KNOWLEDGE-sourced table); an unlisted term is reported as :data:`NOT_CODED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NOT_CODED = "Not coded (term outside the coding table)"

_SOC_TERMS: dict[str, tuple[str, ...]] = {
    "Blood and lymphatic system disorders": ("Anemia", "Febrile neutropenia", "Leukocytosis"),
    "Cardiac disorders": ("Atrial fibrillation", "Sinus tachycardia", "Sinus bradycardia", "Cardiac arrest",
                          "Ventricular tachycardia", "Heart failure", "Myocardial infarction"),
    "Gastrointestinal disorders": ("Nausea", "Vomiting", "Diarrhea", "Constipation", "Abdominal pain"),
    "General disorders and administration site conditions": ("Fever", "Fatigue", "Chills", "Death NOS",
                                                             "Multi-organ failure", "Edema limbs"),
    "Hepatobiliary disorders": ("Hepatic failure",),
    "Immune system disorders": ("Allergic reaction", "Anaphylaxis", "Cytokine release syndrome"),
    "Infections and infestations": ("Sepsis", "Lung infection", "Urinary tract infection",
                                    "Catheter related infection", "Bacteremia"),
    "Investigations": ("Alanine aminotransferase increased", "Aspartate aminotransferase increased",
                       "Blood bilirubin increased", "Creatinine increased", "Platelet count decreased",
                       "Neutrophil count decreased", "White blood cell decreased",
                       "Lymphocyte count decreased"),
    "Metabolism and nutrition disorders": ("Hyperglycemia", "Hypoglycemia", "Hypokalemia", "Hyperkalemia",
                                           "Hyponatremia", "Hypernatremia", "Acidosis"),
    "Nervous system disorders": ("Headache", "Seizure", "Dizziness", "Stroke"),
    "Psychiatric disorders": ("Delirium", "Agitation", "Insomnia"),
    "Renal and urinary disorders": ("Acute kidney injury",),
    "Respiratory, thoracic and mediastinal disorders": (
        "Hypoxia", "Bronchospasm", "Dyspnea", "Cough", "Pneumothorax", "Respiratory failure",
        "Adult respiratory distress syndrome", "Pleural effusion", "Pulmonary edema", "Laryngeal edema",
        "Wheezing", "Pulmonary hypertension"),
    "Skin and subcutaneous tissue disorders": ("Rash maculo-papular", "Pruritus", "Urticaria"),
    "Vascular disorders": ("Hypotension", "Hypertension", "Thromboembolic event"),
}
SYSTEM_ORGAN_CLASS: Mapping[str, str] = MappingProxyType(
    {term.lower(): soc for soc, terms in _SOC_TERMS.items() for term in terms}
)
"""CTCAE v5.0 term (lower case) -> MedDRA system organ class."""


def system_organ_class(term: str) -> str:
    """The SOC of a CTCAE term (case-insensitive), or :data:`NOT_CODED`."""
    return SYSTEM_ORGAN_CLASS.get(" ".join(term.split()).lower(), NOT_CODED)
