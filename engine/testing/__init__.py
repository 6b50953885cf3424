"""Testing aids: the oracle (the contract's meaning in plain Python, the truth for generated
logs) and the generator of synthetic logs with known violations."""
