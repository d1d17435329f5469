"""The contract suite: checks ANY implementation of openapi.yaml over HTTP, lifecycle included.

Run it with `contract-tests --base-url URL --api-key KEY` (or `pytest contract_tests ...`);
without `--base-url` it starts this project's mock on a free 127.0.0.1 port.
"""
