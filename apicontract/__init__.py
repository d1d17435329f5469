"""The contract core: an OpenAPI 3.0/3.1 document read once, and everything derived from it
that the mock, the contract suite and the proxy share (spec, dialect, ...).

It imports neither `mockserver` nor `contract_tests`: both import it.
"""
