"""Reports and exports (CONSORT, tables, registry results, CDISC, FHIR); reads services read models."""
