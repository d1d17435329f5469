"""`mockserver proxy`: a reverse proxy judging live traffic with the contract suite's rules
(it imports contract_tests; the mock never does)."""
