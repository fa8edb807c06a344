"""The JSON APIs: RefStack-compatible v1 and native v2."""
